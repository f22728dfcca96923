import Foundation
import Registry
import Runtime

/// A trained pair loaded for use: both frozen encoders and the projector, turning texts and
/// images into L2-normalised embeddings of the shared space, and building zero-shot
/// classifiers. What `zoo eval` computes through the caches, computed here on inputs that come
/// from anywhere (a request, a file); the same encoder outputs give the same bits.
public struct AlignedPair: Sendable {
    /// The pair as `VISION+TEXT@TAG`.
    public let reference: String
    /// The projector.
    public let projector: PairProjector
    /// The text encoder.
    public let textEncoder: any TextEncoder
    /// The vision encoder.
    public let visionEncoder: any VisionEncoder
    /// How images are prepared for ``visionEncoder``; nil when the encoder has none.
    public let preprocessor: ImagePreprocessor?
    /// Items per encoder call.
    public var batchSize = 32

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
        return AlignedPair(reference: entry.reference, projector: projector, textEncoder: text, visionEncoder: vision, preprocessor: preprocessor)
    }

    /// Assembles a pair from loaded parts.
    public init(reference: String, projector: PairProjector, textEncoder: any TextEncoder, visionEncoder: any VisionEncoder, preprocessor: ImagePreprocessor?) {
        self.reference = reference
        self.projector = projector
        self.textEncoder = textEncoder
        self.visionEncoder = visionEncoder
        self.preprocessor = preprocessor
    }

    /// The width of the shared space.
    public var width: Int { projector.architecture.outputWidth }

    /// The shared-space embeddings of `texts`, one normalised row each. The encoder runs
    /// ``batchSize`` texts at a time; the projector runs over blocks of
    /// ``CachedProjection/blockSize`` as the cached path does, so the rows are the same bits as
    /// `zoo eval` computes from the cache for the same list.
    public func embed(texts: [String]) throws -> EmbeddingMatrix {
        let usesTokens = projector.architecture.input == .tokens
        var features: [Float] = []
        var lengths: [Int] = []
        for first in stride(from: 0, to: texts.count, by: max(1, batchSize)) {
            let chunk = Array(texts[first..<min(first + max(1, batchSize), texts.count)])
            let encoding = try textEncoder.encode(chunk)
            if usesTokens {
                features += Self.packedTokens(encoding.tokens, lengths: encoding.lengths)
                lengths += encoding.lengths
            } else {
                features += encoding.pooled.scalars
                lengths += Array(repeating: 1, count: chunk.count)
            }
        }
        let inputWidth = projector.architecture.textWidth
        var values: [Float] = []
        values.reserveCapacity(texts.count * width)
        var offset = 0
        for first in stride(from: 0, to: texts.count, by: CachedProjection.blockSize) {
            let blockLengths = Array(lengths[first..<min(first + CachedProjection.blockSize, texts.count)])
            let rows = blockLengths.reduce(0, +)
            let block = Tensor(shape: [rows, inputWidth], scalars: Array(features[(offset * inputWidth)..<((offset + rows) * inputWidth)]))
            let projected = usesTokens ? projector.embedText(tokens: block, lengths: blockLengths) : projector.embedText(pooled: block)
            values += projected.scalars
            offset += rows
        }
        return EmbeddingMatrix(values: values, rows: texts.count, width: width)
    }

    /// The shared-space embeddings of preprocessed `pixels` `[N, channels, H, W]`.
    public func embed(pixels: Tensor) throws -> EmbeddingMatrix {
        let encoding = try visionEncoder.encode(pixels: pixels)
        let batch = encoding.pooled.dimension(0)
        let projected = projector.architecture.input == .tokens
            ? projector.embedVision(tokens: encoding.tokens)
            : projector.embedVision(pooled: encoding.pooled)
        return EmbeddingMatrix(values: projected.scalars, rows: batch, width: width)
    }

    /// The shared-space embeddings of the image files at `urls` (JPEG, PNG, WebP), prepared by
    /// the vision encoder's preprocessor.
    ///
    /// - Throws: ``ZooError`` when the encoder has no preprocessor, or the ``ImageError`` of the
    ///   first file that cannot be read.
    public func embed(imagesAt urls: [URL]) throws -> EmbeddingMatrix {
        guard let preprocessor else {
            throw ZooError(.data, "the vision encoder of \(reference) has no preprocessor_config.json, so zoo cannot prepare images for it")
        }
        var values: [Float] = []
        values.reserveCapacity(urls.count * width)
        for first in stride(from: 0, to: urls.count, by: max(1, batchSize)) {
            let chunk = Array(urls[first..<min(first + max(1, batchSize), urls.count)])
            values += try embed(pixels: try preprocessor.batch(contentsOf: chunk)).values
        }
        return EmbeddingMatrix(values: values, rows: urls.count, width: width)
    }

    /// A zero-shot classifier over `classNames`: each class is the renormalised mean of its
    /// prompts' embeddings (every template with `{c}` replaced by the class name), as `zoo eval`
    /// and CLIP_benchmark build it.
    public func classifier(classNames: [String], templates: [String] = [LabelCaptioner.defaultTemplate]) throws -> ZeroShotClassifier {
        guard !classNames.isEmpty else { throw ZooError(.usage, "a zero-shot classifier needs at least one class name") }
        guard !templates.isEmpty else { throw ZooError(.usage, "a zero-shot classifier needs at least one template") }
        let prompts = classNames.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let classes = try embed(texts: prompts).classEmbeddings(promptsPerClass: templates.count)
        return ZeroShotClassifier(classNames: classNames, classes: classes)
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
    }

    /// The classes, in order.
    public let classNames: [String]
    /// The class embeddings `[classes, width]`, normalised.
    public let classes: EmbeddingMatrix

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
            scores.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            return scores.prefix(k).map { Label(name: classNames[$0.0], index: $0.0, score: $0.1) }
        }
    }
}
