import Foundation

/// Appends embeddings to a cache folder, one segment file at a time.
///
/// Items are buffered in memory and written as a segment (`seg-LABEL-RUN-NNNNN.safetensors`)
/// every ``itemsPerSegment`` items and on ``finish()``. Each segment is written to a temporary
/// file, flushed to disk and renamed into place, so an interrupted run leaves only complete
/// segments: the next run reads them and skips those items (resume). Segments written on
/// different machines (different labels, e.g. `s0of4`) can be copied into one folder; the reader
/// unions them.
///
/// A segment holds `pooled` `[n, pooledWidth]`, with tokens also `tokens` `[Σ counts, tokenWidth]`
/// and `token_counts` I64 `[n]`, in the layout's dtype; the item ids are the JSON array in the
/// metadata key `ids`.
public final class EmbeddingCacheWriter {
    /// The cache folder.
    public let folder: URL
    /// The layout every segment follows.
    public let layout: EmbeddingCacheLayout
    /// Items per segment file.
    public let itemsPerSegment: Int
    private let label: String
    /// Extra metadata written into every segment (e.g. the encoder and dataset digests of a shard).
    private let segmentMetadata: [String: String]
    /// Distinguishes this writer's segments from those of earlier runs with the same label.
    private let session = UUID().uuidString.prefix(8).lowercased()
    private var segmentNumber = 0
    private var ids: [String] = []
    private var pooled: [UInt8] = []
    private var tokens: [UInt8] = []
    private var tokenCounts: [Int64] = []
    /// Items written to segment files by this writer.
    public private(set) var writtenItems = 0

    /// Opens (creating when needed) the cache in `folder` for appending.
    ///
    /// - Parameters:
    ///   - label: Names this writer's segments (letters, digits), e.g. the shard `s0of1`.
    ///   - segmentMetadata: Metadata keys (besides `ids`) every segment carries.
    /// - Throws: ``EmbeddingCacheError`` when the folder cannot be created or its `cache.json`
    ///   describes another layout.
    public init(
        folder: URL, layout: EmbeddingCacheLayout, label: String, itemsPerSegment: Int = 2048, segmentMetadata: [String: String] = [:]
    ) throws(EmbeddingCacheError) {
        precondition(itemsPerSegment > 0, "itemsPerSegment must be positive")
        self.segmentMetadata = segmentMetadata.filter { $0.key != "ids" }
        self.folder = folder
        self.layout = layout
        self.label = label
        self.itemsPerSegment = itemsPerSegment
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EmbeddingCacheError(.io, "cannot create embedding cache folder '\(folder.path)': \(error.localizedDescription); check the zoo home's permissions and free space")
        }
        let manifest = folder.appendingPathComponent(EmbeddingCache.manifestName)
        if let existing = try EmbeddingCache.readLayout(folder: folder) {
            guard existing == layout else {
                throw EmbeddingCacheError(.data, "embedding cache '\(folder.path)' holds another layout (\(existing)) than requested (\(layout)); remove the folder to rebuild it")
            }
        } else {
            let data: Data
            do { data = try JSONEncoder.sortedKeys.encode(layout) } catch {
                throw EmbeddingCacheError(.io, "cannot encode the cache layout: \(error)")
            }
            do { try DurableFile.write(data, to: manifest) } catch { throw EmbeddingCacheError(.io, error.description) }
        }
    }

    /// Buffers one item; writes a segment when ``itemsPerSegment`` items are waiting.
    ///
    /// - Parameters:
    ///   - pooled: `pooledWidth` values.
    ///   - tokens: `k × tokenWidth` values when the layout keeps tokens (ignored otherwise).
    public func append(id: String, pooled values: UnsafeBufferPointer<Float>, tokens tokenValues: UnsafeBufferPointer<Float>? = nil) throws(EmbeddingCacheError) {
        precondition(values.count == layout.pooledWidth, "pooled embedding of \(values.count) values for width \(layout.pooledWidth)")
        ids.append(id)
        Self.appendEncoded(values, dtype: layout.dtype, to: &pooled)
        if layout.tokens {
            guard let tokenValues, layout.tokenWidth > 0, tokenValues.count % layout.tokenWidth == 0 else {
                preconditionFailure("token states must be rows of width \(layout.tokenWidth)")
            }
            Self.appendEncoded(tokenValues, dtype: layout.dtype, to: &tokens)
            tokenCounts.append(Int64(tokenValues.count / layout.tokenWidth))
        }
        if ids.count >= itemsPerSegment { try flush() }
    }

    /// Writes the buffered items as one segment (nothing when none wait).
    public func flush() throws(EmbeddingCacheError) {
        guard !ids.isEmpty else { return }
        var writer = SafeTensorsWriter()
        do {
            let idsJSON = try JSONSerialization.data(withJSONObject: ids, options: [.withoutEscapingSlashes])
            writer.metadata = segmentMetadata.merging(["ids": String(decoding: idsJSON, as: UTF8.self)]) { _, ids in ids }
        } catch {
            throw EmbeddingCacheError(.data, "cannot encode item ids: \(error)")
        }
        let dtype = layout.dtype.safeTensorsType
        do {
            try writer.add("pooled", dtype: dtype, shape: [ids.count, layout.pooledWidth], bytes: pooled)
            if layout.tokens {
                let rows = Int(tokenCounts.reduce(0, +))
                try writer.add("tokens", dtype: dtype, shape: [rows, layout.tokenWidth], bytes: tokens)
                try writer.add("token_counts", int64s: tokenCounts)
            }
        } catch {
            throw EmbeddingCacheError(.data, "cannot build a cache segment: \(error)")
        }
        segmentNumber += 1
        let name = "seg-\(label)-\(session)-\(String(format: "%05d", segmentNumber)).safetensors"
        do {
            try writer.write(to: folder.appendingPathComponent(name))
        } catch {
            throw EmbeddingCacheError(.io, "cannot write cache segment in '\(folder.path)': \(error); free some disk space and run again (finished segments are kept)")
        }
        writtenItems += ids.count
        ids.removeAll(keepingCapacity: true)
        pooled.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        tokenCounts.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered.
    public func finish() throws(EmbeddingCacheError) { try flush() }

    private static func appendEncoded(_ values: UnsafeBufferPointer<Float>, dtype: EmbeddingDType, to bytes: inout [UInt8]) {
        switch dtype {
        case .f32:
            bytes.append(contentsOf: UnsafeRawBufferPointer(values))
        case .f16:
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: values.count * 2))
            bytes.withUnsafeMutableBytes { raw in
                let target = raw.baseAddress!.advanced(by: start)
                for index in 0..<values.count {
                    var bits = Float16(values[index]).bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { target.advanced(by: index * 2).copyMemory(from: $0.baseAddress!, byteCount: 2) }
                }
            }
        }
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys and unescaped slashes, for stable files.
    package static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
