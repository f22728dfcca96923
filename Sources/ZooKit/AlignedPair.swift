import Foundation
import Registry
import Runtime

/// A trained pair loaded for use: both frozen encoders and the projector, turning texts and
/// images into L2-normalised embeddings of the shared space, and building zero-shot
/// classifiers. What `zoo eval` computes through the caches, computed here on inputs that come
/// from anywhere (a request, a file).
///
/// Every step is row-independent (the encoders' kernels and the projector's inference kernel
/// give a row the same bits whatever else is in its batch), so an item embeds to the same bits
/// here, in a server's dynamic batch and in `zoo eval`'s cache blocks.
public struct AlignedPair: Sendable {
    /// The pair as `VISION+TEXT@TAG`.
    public let reference: String
    /// The digest of the projector's checkpoint.
    public let checkpointDigest: String
    /// The projector.
    public let projector: PairProjector
    /// The text encoder.
    public let textEncoder: any TextEncoder
    /// The vision encoder.
    public let visionEncoder: any VisionEncoder
    /// How images are prepared for ``visionEncoder``; nil when the encoder has none.
    public let preprocessor: ImagePreprocessor?
    /// The learned `logit_scale`, exp'd: cosine similarities times this are the logits
    /// whose softmax gives zero-shot probabilities (1 / the last epoch's temperature).
    public let logitScale: Float
    /// Items per encoder call.
    public var batchSize = 32

    /// The logit scale used when a projector has no training history (an imported one):
    /// 100, the value CLIP's training clamps at and open_clip's models end with.
    public static let defaultLogitScale: Float = 100

    /// Loads the pair `pair` of `zoo`: its projector (the newest, or `@TAG`) and both encoders.
    ///
    /// - Throws: ``ZooError`` (unknown pair 66, unreadable projector 65) or the backend's error.
    public static func load(zoo: ModelZoo, pair: PairReference) throws -> AlignedPair {
        let entry = try zoo.catalog.projectorEntry(for: pair)
        let weights = zoo.store.folder(for: entry.record.checkpointDigest).appendingPathComponent("projector.safetensors")
        let projector: PairProjector
        do { projector = try PairProjector(contentsOf: weights) } catch {
            throw ZooError(.data, "cannot load the projector of \(entry.reference): \(error); run 'zoo verify'")
        }
        let (_, text) = try EncoderLoading.textEncoder(entry.textName, zoo: zoo)
        let (_, vision, preprocessor) = try EncoderLoading.visionEncoder(entry.visionName, zoo: zoo)
        return AlignedPair(
            reference: entry.reference, checkpointDigest: entry.record.checkpointDigest, projector: projector,
            textEncoder: text, visionEncoder: vision, preprocessor: preprocessor,
            logitScale: Self.logitScale(history: entry.record.history))
    }

    /// Assembles a pair from loaded parts.
    public init(
        reference: String, checkpointDigest: String = "", projector: PairProjector, textEncoder: any TextEncoder,
        visionEncoder: any VisionEncoder, preprocessor: ImagePreprocessor?, logitScale: Float = AlignedPair.defaultLogitScale
    ) {
        self.reference = reference
        self.checkpointDigest = checkpointDigest
        self.projector = projector
        self.textEncoder = textEncoder
        self.visionEncoder = visionEncoder
        self.preprocessor = preprocessor
        self.logitScale = logitScale
    }

    /// 1 / the temperature of the last epoch of a catalog history (JSON text); the default when
    /// there is none.
    static func logitScale(history: String) -> Float {
        struct Epoch: Decodable { var temperature: Double? }
        guard let epochs = try? JSONDecoder().decode([Epoch].self, from: Data(history.utf8)),
              let temperature = epochs.last?.temperature, temperature > 0, temperature.isFinite
        else { return defaultLogitScale }
        return Float(1 / temperature)
    }

    /// The width of the shared space.
    public var width: Int { projector.architecture.outputWidth }

    /// The shared-space embeddings of `texts`, one normalised row each, ``batchSize`` texts per
    /// encoder call.
    public func embed(texts: [String]) throws -> EmbeddingMatrix {
        var values: [Float] = []
        values.reserveCapacity(texts.count * width)
        let step = max(1, batchSize)
        for first in stride(from: 0, to: texts.count, by: step) {
            values += project(try textEncoder.encode(Array(texts[first..<min(first + step, texts.count)]))).values
        }
        return EmbeddingMatrix(values: values, rows: texts.count, width: width)
    }

    /// The shared-space embeddings of already tokenized texts (``TextEncoder/tokenize(_:)``), in
    /// one encoder call; a pooled projector takes the encoder's pooled output alone.
    public func embed(tokenIDs ids: [[Int32]]) throws -> EmbeddingMatrix {
        if projector.architecture.input == .tokens { return project(try textEncoder.encode(ids: ids)) }
        let pooled = try textEncoder.pooledEmbeddings(ids: ids)
        return EmbeddingMatrix(values: projector.embedText(pooled: pooled).scalars, rows: ids.count, width: width)
    }

    /// The shared-space embeddings of one text encoder output.
    public func project(_ encoding: TextEncoding) -> EmbeddingMatrix {
        let rows = encoding.lengths.count
        let projected: Tensor
        if projector.architecture.input == .tokens {
            let packed = Self.packedTokens(encoding.tokens, lengths: encoding.lengths)
            projected = projector.embedText(
                tokens: Tensor(shape: [packed.count / max(1, projector.architecture.textWidth), projector.architecture.textWidth], scalars: packed),
                lengths: encoding.lengths)
        } else {
            projected = projector.embedText(pooled: encoding.pooled)
        }
        return EmbeddingMatrix(values: projected.scalars, rows: rows, width: width)
    }

    /// The shared-space embeddings of one vision encoder output.
    public func project(_ encoding: VisionEncoding) -> EmbeddingMatrix {
        let projected = projector.architecture.input == .tokens
            ? projector.embedVision(tokens: encoding.tokens)
            : projector.embedVision(pooled: encoding.pooled)
        return EmbeddingMatrix(values: projected.scalars, rows: encoding.pooled.dimension(0), width: width)
    }

    /// The shared-space embeddings of preprocessed `pixels` `[N, channels, H, W]`, in one
    /// encoder call.
    public func embed(pixels: Tensor) throws -> EmbeddingMatrix {
        project(try visionEncoder.encode(pixels: pixels))
    }

    /// The shared-space embeddings of the image files at `urls` (JPEG, PNG, WebP), prepared by
    /// the vision encoder's preprocessor.
    ///
    /// - Throws: ``ZooError``: the encoder has no preprocessor (65), a file is missing (66) or
    ///   cannot be decoded (65).
    public func embed(imagesAt urls: [URL]) throws -> EmbeddingMatrix {
        var values: [Float] = []
        values.reserveCapacity(urls.count * width)
        try embedImages(urls, skipBad: false) { _, rows in values += rows.values }
        return EmbeddingMatrix(values: values, rows: urls.count, width: width)
    }

    /// Streams the shared-space embeddings of image files, ``batchSize`` at a time, to `body`
    /// with the batch's paths. With `skipBad`, a file that cannot be decoded goes to `skipped`
    /// and is left out.
    /// - Returns: the paths skipped.
    @discardableResult
    public func embedImages(
        _ urls: [URL], skipBad: Bool, skipped: (ImageFailure) -> Void = { _ in },
        _ body: (_ ids: [String], _ rows: EmbeddingMatrix) throws -> Void
    ) throws -> [String] {
        guard let preprocessor else {
            throw ZooError(.data, "the vision encoder of \(reference) has no preprocessor_config.json, so zoo cannot prepare images for it")
        }
        var skippedPaths: [String] = []
        try ImageBatches.each(urls, preprocessor: preprocessor, batch: max(1, batchSize), skipBad: skipBad) { batch in
            for failure in batch.failures {
                skippedPaths.append(failure.url.relativePath)
                skipped(failure)
            }
            guard batch.count > 0 else { return }
            try body(batch.urls.map(\.relativePath), try embed(pixels: batch.pixels))
        }
        return skippedPaths
    }

    /// A zero-shot classifier over `classNames`: each class is the renormalised mean of its
    /// prompts' embeddings (every template with `{c}` replaced by the class name), as `zoo eval`
    /// and CLIP_benchmark build it; probabilities use the pair's ``logitScale``.
    public func classifier(classNames: [String], templates: [String] = [LabelCaptioner.defaultTemplate]) throws -> ZeroShotClassifier {
        guard !classNames.isEmpty else { throw ZooError(.usage, "a zero-shot classifier needs at least one class name") }
        guard !templates.isEmpty else { throw ZooError(.usage, "a zero-shot classifier needs at least one template") }
        let prompts = classNames.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let classes = try embed(texts: prompts).classEmbeddings(promptsPerClass: templates.count)
        return ZeroShotClassifier(classNames: classNames, classes: classes, logitScale: logitScale)
    }

    /// The real tokens' rows of padded token states `[B, L, D]`, sequence after sequence.
    static func packedTokens(_ tokens: Tensor, lengths: [Int]) -> [Float] {
        let (padded, width) = (tokens.dimension(1), tokens.dimension(2))
        var packed: [Float] = []
        packed.reserveCapacity(lengths.reduce(0, +) * width)
        tokens.withUnsafeBufferPointer { values in
            for (row, length) in lengths.enumerated() {
                let start = row * padded * width
                packed += values[start..<(start + length * width)]
            }
        }
        return packed
    }
}

/// Class embeddings in the shared space, and the labels they give image embeddings.
public struct ZeroShotClassifier: Sendable {
    /// One label with its score.
    public struct Label: Sendable, Equatable, Encodable {
        /// The class name.
        public var name: String
        /// The class's index in ``ZeroShotClassifier/classNames``.
        public var index: Int
        /// The cosine similarity of the image and the class embedding.
        public var score: Float
        /// The softmax over all classes of ``ZeroShotClassifier/logitScale`` × cosine.
        public var probability: Float
    }

    /// The classes, in order.
    public let classNames: [String]
    /// The class embeddings `[classes, width]`, normalised.
    public let classes: EmbeddingMatrix
    /// Cosines times this are the logits of the probabilities.
    public let logitScale: Float

    /// Wraps class embeddings.
    public init(classNames: [String], classes: EmbeddingMatrix, logitScale: Float = AlignedPair.defaultLogitScale) {
        precondition(classNames.count == classes.rows, "ZeroShotClassifier: \(classNames.count) names for \(classes.rows) class embeddings")
        self.classNames = classNames
        self.classes = classes
        self.logitScale = logitScale
    }

    /// The `top` best labels of each row of `images` (normalised shared-space embeddings), best
    /// first; ties go to the lower class index.
    public func labels(for images: EmbeddingMatrix, top: Int = 1) -> [[Label]] {
        precondition(images.width == classes.width, "ZeroShotClassifier: images are \(images.width) wide, classes \(classes.width)")
        let k = max(1, min(top, classNames.count))
        return (0..<images.rows).map { row in
            var scores: [(Int, Float)] = []
            scores.reserveCapacity(classNames.count)
            for index in 0..<classNames.count {
                var dot: Float = 0
                for column in 0..<images.width {
                    dot += images.values[row * images.width + column] * classes.values[index * classes.width + column]
                }
                scores.append((index, dot))
            }
            // Softmax in Double, shifted by the largest logit.
            let largest = scores.map { Double(logitScale * $0.1) }.max() ?? 0
            let total = scores.reduce(0.0) { $0 + Foundation.exp(Double(logitScale * $1.1) - largest) }
            scores.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            return scores.prefix(k).map {
                let probability = Float(Foundation.exp(Double(logitScale * $0.1) - largest) / total)
                return Label(name: classNames[$0.0], index: $0.0, score: $0.1, probability: probability)
            }
        }
    }
}
