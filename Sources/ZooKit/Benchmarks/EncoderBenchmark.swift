import Foundation
import Registry
import Runtime

/// Throughput of one registered encoder: sentences/s on generated captions (tokenizing
/// included), or images/s on one preprocessed batch (and, given image files, with decoding and
/// preprocessing included).
public struct EncoderBenchmark: Sendable {
    /// Captions, or images, per timed pass.
    public var count = 2048
    /// Inputs per forward pass.
    public var batch = 64
    /// Timed passes; the best is kept.
    public var repetitions = 3
    /// Vision: image files to cycle through; empty for random pixels.
    public var images: [URL] = []
    /// Vision without images: the side of the random square pixels (nil: the preprocessor's
    /// crop, else 224).
    public var size: Int?

    /// A benchmark with the default sizes.
    public init() {}

    /// The figures of one benchmark: those of every run, then those of a text encoder
    /// (sentences, tokens) or of a vision encoder (images; with preprocessing only when images
    /// were given). The other modality's keys are left out of the JSON.
    public struct Result: Encodable, Sendable {
        public let encoder: String
        public let batch: Int
        public let threads: Int
        /// Wall time of the best timed pass.
        public let seconds: Double
        /// Share of the thread time spent in GEMM.
        public let gemmShare: Double
        public let gemmGFLOPSPerThread: Double
        public let openblas: String
        /// `OPENBLAS_CORETYPE` from the environment; null when unset.
        @NullWhenNil public var openblasCoretype: String?
        /// Captions or images per timed pass.
        public let n: Int
        public var sentencesPerSecond: Double?
        public var tokensPerSecond: Double?
        public var meanTokens: Double?
        public var imagesPerSecondModelOnly: Double?
        /// [3, H, W] of the encoded pixels.
        public var imageSize: [Int]?
        public var imagesPerSecondWithPreprocessing: Double?
        /// The captions that were encoded (text encoders), for a peer benchmark; not in the JSON.
        public var captions: [String] = []

        enum CodingKeys: String, CodingKey {
            case encoder, batch, threads, seconds, openblas, n
            case gemmShare = "gemm_share"
            case gemmGFLOPSPerThread = "gemm_gflops_per_thread"
            case openblasCoretype = "openblas_coretype"
            case sentencesPerSecond = "sentences_per_second"
            case tokensPerSecond = "tokens_per_second"
            case meanTokens = "mean_tokens"
            case imagesPerSecondModelOnly = "images_per_second_model_only"
            case imageSize = "image_size"
            case imagesPerSecondWithPreprocessing = "images_per_second_with_preprocessing"
        }

        init(encoder: String, batch: Int, run: TimedRun, n: Int) {
            self.encoder = encoder
            self.batch = batch
            threads = ComputeThreads.count
            seconds = run.seconds
            gemmShare = run.gemmSeconds / (run.seconds * Double(ComputeThreads.count))
            gemmGFLOPSPerThread = run.gemmSeconds > 0 ? Double(run.gemmFlops) / run.gemmSeconds / 1e9 : 0
            openblas = BLASInfo.configuration
            openblasCoretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
            self.n = n
        }
    }

    /// Benchmarks the loaded encoder `entry`.
    public func run(_ loaded: EncoderLoading.Loaded, entry: EncoderEntry) throws -> Result {
        switch loaded {
        case .text(let encoder): try text(encoder, name: entry.name)
        case .vision(let encoder, let preprocessor): try vision(encoder, preprocessor: preprocessor, name: entry.name)
        }
    }

    /// Sentences/s of `encoder` on ``count`` generated captions of 6–20 words, tokenizing
    /// included, sentence embeddings only (as the peers' `encode()` returns them), batch by batch.
    public func text(_ encoder: any TextEncoder, name: String) throws -> Result {
        let captions = CaptionGenerator.captions(count: count)
        _ = try encoder.pooledEmbeddings(ids: captions.prefix(batch).map(encoder.tokenize))  // warm-up
        var tokenCount = 0
        let run = try TimedRun.best(of: repetitions) {
            let ids = captions.map(encoder.tokenize)
            _ = try encoder.pooledEmbeddings(ids: ids, batchSize: batch)
            tokenCount = ids.reduce(0) { $0 + $1.count }
        }
        var result = Result(encoder: name, batch: batch, run: run, n: captions.count)
        result.sentencesPerSecond = Double(captions.count) / run.seconds
        result.tokensPerSecond = Double(tokenCount) / run.seconds
        result.meanTokens = Double(tokenCount) / Double(captions.count)
        result.captions = captions
        return result
    }

    /// Images/s of `encoder` on one preprocessed batch (from ``images``, else random pixels)
    /// encoded ``count``/``batch`` times; with ``images``, also with decoding and preprocessing.
    public func vision(_ encoder: any VisionEncoder, preprocessor: ImagePreprocessor?, name: String) throws -> Result {
        let cycle = images.isEmpty ? [] : (0..<count).map { images[$0 % images.count] }
        let pixels: Tensor
        if let preprocessor, !cycle.isEmpty {
            do { pixels = try preprocessor.batch(contentsOf: Array(cycle.prefix(batch))) } catch { throw ZooError.image(error) }
        } else {
            let side = size ?? preprocessor?.configuration.cropHeight ?? 224
            var generator = SystemRandomNumberGenerator()
            pixels = Tensor(shape: [batch, 3, side, side],
                            scalars: (0..<batch * 3 * side * side).map { _ in Float.random(in: -2...2, using: &generator) })
        }
        let batches = max(1, count / batch)
        _ = try encoder.encode(pixels: pixels)  // warm-up
        let modelRun = try TimedRun.best(of: repetitions) { for _ in 0..<batches { _ = try encoder.encode(pixels: pixels) } }
        var result = Result(encoder: name, batch: batch, run: modelRun, n: batches * batch)
        result.imagesPerSecondModelOnly = Double(batches * batch) / modelRun.seconds
        result.imageSize = Array(pixels.shape.dropFirst())
        if let preprocessor, !cycle.isEmpty {
            let fullRun = try TimedRun.best(of: repetitions) {
                let loader = ImageBatchLoader(urls: cycle, preprocessor: preprocessor, batchSize: batch)
                while let next = try loader.next() { _ = try encoder.encode(pixels: next.pixels) }
            }
            result.imagesPerSecondWithPreprocessing = Double(cycle.count) / fullRun.seconds
        }
        return result
    }
}
