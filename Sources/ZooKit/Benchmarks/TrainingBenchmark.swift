import Foundation
import Runtime

/// Pairs/s of projector training steps (forward, loss, backward, AdamW) on random inputs of
/// cached sizes; `scripts/peer_bench_train.py` runs PyTorch on the same shapes.
public struct TrainingBenchmark: Sendable {
    /// The projector: the paper's token projector, or a pooled one of ``pooledKind``.
    public var tokens = true
    /// The branch of a pooled projector.
    public var pooledKind: BranchKind = .mlp
    /// Pairs per step.
    public var batch = 128
    /// The output width.
    public var outputWidth = 512
    /// The width of the vision inputs.
    public var visionWidth = 384
    /// Tokens per image, CLS included (token projector).
    public var visionTokens = 50
    /// The width of the text inputs.
    public var textWidth = 384
    /// Tokens per caption (token projector).
    public var textLength = 16
    /// Timed steps per repetition.
    public var steps = 5
    /// Repetitions; the best is kept.
    public var repetitions = 3
    /// Untimed steps first.
    public var warmup = 2
    /// Dropout while training.
    public var dropout: Float = 0.1

    /// A benchmark with the default sizes.
    public init() {}

    /// The figures of one benchmark.
    public struct Result: Encodable, Sendable {
        /// `token` or `pooled`.
        public let projector: String
        public let batch: Int
        public let dim: Int
        public let visionWidth: Int
        public let visionTokens: Int
        public let textWidth: Int
        public let textLength: Int
        public let threads: Int
        public let parameters: Int
        public let pairsPerSecond: Double
        public let stepSeconds: Double

        enum CodingKeys: String, CodingKey {
            case projector, batch, dim, threads, parameters
            case visionWidth = "vision_width"
            case visionTokens = "vision_tokens"
            case textWidth = "text_width"
            case textLength = "text_length"
            case pairsPerSecond = "pairs_per_second"
            case stepSeconds = "step_seconds"
        }
    }

    /// Runs ``warmup`` steps, then ``repetitions`` timed runs of ``steps`` steps on one batch
    /// drawn from a ``ProjectorRandom`` seeded with 1 (vision inputs first, then text).
    public func run() throws -> Result {
        var architecture: ProjectorArchitecture = tokens
            ? .paper(visionWidth: visionWidth, textWidth: textWidth, outputWidth: outputWidth)
            : .pooled(kind: pooledKind, visionWidth: visionWidth, textWidth: textWidth, outputWidth: outputWidth)
        architecture.dropout = dropout
        var configuration = TrainingConfiguration()
        configuration.batchSize = batch
        configuration.learningRate = 1e-4
        configuration.warmupSteps = 0
        var trainer = try ProjectorTrainer(architecture: architecture, configuration: configuration, pairs: batch)
        var random = ProjectorRandom(seed: 1)
        let visionShape = tokens ? [batch, visionTokens, visionWidth] : [batch, visionWidth]
        let textShape = [batch * (tokens ? textLength : 1), textWidth]
        let vision = Tensor(shape: visionShape, scalars: (0..<visionShape.reduce(1, *)).map { _ in random.uniform(bound: 2) })
        let text = Tensor(shape: textShape, scalars: (0..<textShape.reduce(1, *)).map { _ in random.uniform(bound: 2) })
        let input = TrainingBatch(vision: vision, text: text, textLengths: Array(repeating: tokens ? textLength : 1, count: batch))
        for _ in 0..<warmup { _ = try trainer.trainStep(input, learningRate: 1e-4) }
        let run = try TimedRun.best(of: repetitions) {
            for _ in 0..<steps { _ = try trainer.trainStep(input, learningRate: 1e-4) }
        }
        return Result(
            projector: tokens ? "token" : "pooled", batch: batch, dim: outputWidth, visionWidth: visionWidth,
            visionTokens: visionTokens, textWidth: textWidth, textLength: textLength, threads: ComputeThreads.count,
            parameters: trainer.projector.parameterCount, pairsPerSecond: Double(steps * batch) / run.seconds,
            stepSeconds: run.seconds / Double(steps))
    }
}
