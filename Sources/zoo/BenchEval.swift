import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo bench eval`: scoring throughput of zero-shot classification on embeddings in memory.
struct BenchEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Scoring throughput of zoo eval on random embeddings: images × classes per second and GFLOP/s against the measured SGEMM peak.")

    @Option(help: "Images.")
    var images = 20_000

    @Option(help: "Classes.")
    var classes = 1000

    @Option(help: "Embedding width.")
    var dim = 512

    @Option(help: "Repetitions; the best is reported.")
    var `repeat` = 3

    @Option(help: "Threads for BLAS and zoo's loops (default: OpenBLAS's).")
    var threads: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard images >= 1, classes >= 1, dim >= 1, `repeat` >= 1 else { throw ValidationError("sizes must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        var benchmark = ScoringBenchmark()
        benchmark.images = images
        benchmark.classes = classes
        benchmark.dim = dim
        benchmark.repetitions = `repeat`
        let result = try benchmark.run()
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "scoring %d images × %d classes (dim %d, %d threads): %.3f s, %.2e image-class scores/s, %.1f GFLOP/s = %.0f%% of the %.1f GFLOP/s SGEMM peak (GEMM %.0f%% of the time)",
                         images, classes, dim, result.threads, result.seconds, result.pairsPerSecond, result.gflops,
                         result.fractionOfPeak * 100, result.peakGFLOPS, result.gemmSeconds / result.seconds * 100))
        }
    }
}
