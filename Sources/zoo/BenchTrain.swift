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
        var benchmark = TrainingBenchmark()
        benchmark.tokens = projector == .token
        benchmark.pooledKind = pooledKind
        benchmark.batch = batch
        benchmark.outputWidth = dim
        benchmark.visionWidth = visionWidth
        benchmark.visionTokens = visionTokens
        benchmark.textWidth = textWidth
        benchmark.textLength = textLength
        benchmark.steps = steps
        benchmark.repetitions = `repeat`
        benchmark.warmup = warmup
        benchmark.dropout = dropout
        let result = try benchmark.run()
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "%@ projector, %d parameters, batch %d, %d threads: %.1f pairs/s (%.2f ms per step)",
                         result.projector, result.parameters, result.batch, result.threads, result.pairsPerSecond, result.stepSeconds * 1000))
        }
    }
}
