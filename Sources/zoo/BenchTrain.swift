import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo bench train`: training-step throughput of a projector on random inputs of fixed sizes.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Pairs/s of projector training steps (forward, loss, backward, AdamW) on random cached-size inputs; scripts/peer_bench_train.py runs PyTorch on the same shapes.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "token or pooled.")
    var projector: TrainCommand.Kind = .token

    @Option(help: "Branch of the pooled projector: linear or mlp.")
    var pooledKind: BranchKind = .mlp

    @Option(help: "Pairs per step.")
    var batch = 128

    @Option(help: "Output width.")
    var dim = 512

    @Option(help: "Width of the vision inputs.")
    var visionWidth = 384

    @Option(help: "Tokens per image, CLS included (token projector).")
    var visionTokens = 50

    @Option(help: "Width of the text inputs.")
    var textWidth = 384

    @Option(help: "Tokens per caption (token projector).")
    var textLength = 16

    @Option(help: "Timed steps per repetition.")
    var steps = 5

    @Option(help: "Repetitions; the best is reported.")
    var `repeat` = 3

    @Option(help: "Untimed steps first.")
    var warmup = 2

    @Option(help: "Dropout while training.")
    var dropout: Float = 0.1

    @Option(help: "Threads for BLAS and zoo's loops (default: OpenBLAS's).")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batch >= 2, dim >= 1, visionWidth >= 1, textWidth >= 1, visionTokens >= 2, textLength >= 1, steps >= 1, `repeat` >= 1, warmup >= 0 else {
            throw ValidationError("sizes must be positive (batch at least 2, vision tokens at least 2)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        var architecture: ProjectorArchitecture = projector == .token
            ? .paper(visionWidth: visionWidth, textWidth: textWidth, outputWidth: dim)
            : .pooled(kind: pooledKind, visionWidth: visionWidth, textWidth: textWidth, outputWidth: dim)
        architecture.dropout = dropout
        var configuration = TrainingConfiguration()
        configuration.batchSize = batch
        configuration.learningRate = 1e-4
        configuration.warmupSteps = 0
        var trainer = try ProjectorTrainer(architecture: architecture, configuration: configuration, pairs: batch)
        var random = ProjectorRandom(seed: 1)
        let tokens = projector == .token
        let visionCount = batch * (tokens ? visionTokens : 1) * visionWidth
        let textCount = batch * (tokens ? textLength : 1) * textWidth
        let batchInput = TrainingBatch(
            count: batch, vision: (0..<visionCount).map { _ in random.uniform(bound: 2) }, tokensPerImage: tokens ? visionTokens : 1,
            text: (0..<textCount).map { _ in random.uniform(bound: 2) }, textLengths: Array(repeating: tokens ? textLength : 1, count: batch))
        for _ in 0..<warmup { _ = try trainer.trainStep(batchInput, learningRate: 1e-4) }
        var best = Double.infinity
        for _ in 0..<`repeat` {
            let start = Date()
            for _ in 0..<steps { _ = try trainer.trainStep(batchInput, learningRate: 1e-4) }
            best = min(best, Date().timeIntervalSince(start))
        }
        let rate = Double(steps * batch) / best
        if output.json {
            try Output.json(BenchTrainJSON(
                projector: projector.rawValue, batch: batch, dim: dim, visionWidth: visionWidth, visionTokens: visionTokens,
                textWidth: textWidth, textLength: textLength, threads: ComputeThreads.count,
                parameters: trainer.projector.parameterCount, pairsPerSecond: rate, stepSeconds: best / Double(steps)))
        } else {
            print(String(format: "%@ projector, %d parameters, batch %d, %d threads: %.1f pairs/s (%.2f ms per step)",
                         projector.rawValue, trainer.projector.parameterCount, batch, ComputeThreads.count, rate, best / Double(steps) * 1000))
        }
    }
}

/// JSON shape of `zoo bench train`.
struct BenchTrainJSON: Encodable {
    /// `token` or `pooled`.
    let projector: String
    let batch: Int
    let dim: Int
    let visionWidth: Int
    let visionTokens: Int
    let textWidth: Int
    let textLength: Int
    let threads: Int
    let parameters: Int
    let pairsPerSecond: Double
    let stepSeconds: Double

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
