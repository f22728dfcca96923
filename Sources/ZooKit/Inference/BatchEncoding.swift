import Foundation
import Registry
import Runtime

/// Runs a loaded encoder over texts, a pixels tensor or image files in batches, handing each
/// batch's rows to `body` as soon as they are ready (so a caller can stream them).
public enum BatchEncoding {
    /// Encodes `items` `batch` at a time.
    public static func texts(
        _ items: [TextItem], encoder: any TextEncoder, batch: Int, withTokens: Bool, _ body: (EncodedRows) throws -> Void
    ) throws {
        precondition(batch >= 1)
        for start in stride(from: 0, to: items.count, by: batch) {
            let slice = items[start..<min(start + batch, items.count)]
            let encoding = try encoder.encode(slice.map(\.text))
            try body(EncodedRows(encoding, ids: slice.map(\.id), withTokens: withTokens))
        }
    }

    /// Encodes the rows of an already preprocessed `pixels` tensor `[N, 3, H, W]`; row ids are 1…N.
    public static func pixels(
        _ pixels: Tensor, encoder: any VisionEncoder, batch: Int, withTokens: Bool, _ body: (EncodedRows) throws -> Void
    ) throws {
        precondition(batch >= 1 && pixels.rank == 4)
        let count = pixels.shape[0]
        let perImage = count == 0 ? 0 : pixels.count / count
        for start in stride(from: 0, to: count, by: batch) {
            let end = min(start + batch, count)
            let slice = Tensor(
                shape: [end - start] + pixels.shape.dropFirst(),
                scalars: Array(pixels.scalars[start * perImage..<end * perImage]))
            let encoding = try encoder.encode(pixels: slice)
            try body(EncodedRows(encoding, ids: (start..<end).map { String($0 + 1) }, withTokens: withTokens))
        }
    }

    /// Decodes, preprocesses and encodes image files; ids are the paths. With `skipBad`, an
    /// image that cannot be decoded is passed to `skipped` and left out; otherwise it stops the
    /// run with ``ZooError/image(_:)`` (66 for a missing file, 65 otherwise).
    /// - Returns: the paths of the skipped images, in input order.
    @discardableResult
    public static func images(
        _ urls: [URL], encoder: any VisionEncoder, preprocessor: ImagePreprocessor, batch: Int, withTokens: Bool,
        skipBad: Bool, skipped: (ImageFailure) -> Void = { _ in }, _ body: (EncodedRows) throws -> Void
    ) throws -> [String] {
        precondition(batch >= 1)
        var skippedPaths: [String] = []
        try ImageBatches.each(urls, preprocessor: preprocessor, batch: batch, skipBad: skipBad) { imageBatch in
            for failure in imageBatch.failures {
                skippedPaths.append(failure.url.relativePath)
                skipped(failure)
            }
            guard imageBatch.count > 0 else { return }
            let encoding = try encoder.encode(pixels: imageBatch.pixels)
            try body(EncodedRows(encoding, ids: imageBatch.urls.map(\.relativePath), withTokens: withTokens))
        }
        return skippedPaths
    }
}

/// Decoded and preprocessed image batches, with decode failures as ``ZooError``s.
enum ImageBatches {
    /// Calls `body` with each batch the loader produces, in input order.
    static func each(
        _ urls: [URL], preprocessor: ImagePreprocessor, batch: Int, skipBad: Bool, _ body: (ImageBatch) throws -> Void
    ) throws {
        let loader = ImageBatchLoader(urls: urls, preprocessor: preprocessor, batchSize: batch, skipBad: skipBad)
        defer { loader.cancel() }
        while true {
            let next: ImageBatch?
            do { next = try loader.next() } catch { throw ZooError.image(error) }
            guard let imageBatch = next else { return }
            try body(imageBatch)
        }
    }
}

extension BatchEncoding {
    /// Joint-space embeddings of `items` through a trained pair, `batch` texts per call; the
    /// rows' lengths are the texts' token counts.
    public static func texts(_ items: [TextItem], pair: AlignedPair, batch: Int, _ body: (EncodedRows) throws -> Void) throws {
        precondition(batch >= 1)
        for start in stride(from: 0, to: items.count, by: batch) {
            let slice = items[start..<min(start + batch, items.count)]
            let encoding = try pair.textEncoder.encode(slice.map(\.text))
            try body(EncodedRows(ids: slice.map(\.id), embeddings: pair.project(encoding).tensor, tokens: nil, lengths: encoding.lengths))
        }
    }

    /// Joint-space embeddings of the rows of a preprocessed `pixels` tensor; ids are 1…N.
    public static func pixels(_ pixels: Tensor, pair: AlignedPair, batch: Int, _ body: (EncodedRows) throws -> Void) throws {
        let tokens = pair.projector.architecture.input == .tokens
        try self.pixels(pixels, encoder: pair.visionEncoder, batch: batch, withTokens: tokens) { rows in
            try body(EncodedRows(ids: rows.ids, embeddings: pair.project(rows.visionEncoding).tensor, tokens: nil, lengths: rows.lengths))
        }
    }

    /// Joint-space embeddings of image files through a trained pair; `skipBad` and `skipped` as
    /// in ``images(_:encoder:preprocessor:batch:withTokens:skipBad:skipped:_:)``.
    @discardableResult
    public static func images(
        _ urls: [URL], pair: AlignedPair, batch: Int, skipBad: Bool, skipped: (ImageFailure) -> Void = { _ in },
        _ body: (EncodedRows) throws -> Void
    ) throws -> [String] {
        var copy = pair
        copy.batchSize = batch
        return try copy.embedImages(urls, skipBad: skipBad, skipped: skipped) { ids, rows in
            try body(EncodedRows(ids: ids, embeddings: rows.tensor, tokens: nil, lengths: Array(repeating: 0, count: ids.count)))
        }
    }
}

extension EmbeddingMatrix {
    /// The matrix as a `[rows, width]` tensor.
    public var tensor: Tensor { Tensor(shape: [rows, width], scalars: values) }
}
