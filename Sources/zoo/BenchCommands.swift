import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo bench …`: throughput benchmarks (never timed tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure throughput.", subcommands: [BenchEncode.self, BenchTrain.self, BenchEval.self, BenchGEMM.self, BenchSearch.self])
}

/// `zoo bench encode NAME [--n N] [--batch B]`: sentences/s on generated captions.
struct BenchEncode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Throughput of an encoder: sentences/s on generated captions of 6-20 words (tokenizing included), or images/s.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Text encoder name or alias.")
    var name: String

    @Option(help: "Number of captions.")
    var n = 2048

    @Option(help: "Captions per forward pass.")
    var batch = 64

    @Option(help: "Threads for BLAS and zoo's loops (default: OpenBLAS's).")
    var threads: Int?

    @Option(help: "Timed passes over all captions; the best is reported.")
    var `repeat` = 3

    @Option(help: ArgumentHelp("Also write the captions, one per line, for a peer benchmark.", valueName: "file"))
    var writeSentences: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard n >= 1, batch >= 1, `repeat` >= 1 else { throw ValidationError("--n, --batch and --repeat must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    @Option(parsing: .upToNextOption, help: "Vision encoders: images to cycle through (preprocessing included and excluded are both timed).")
    var images: [String] = []

    @Option(help: ArgumentHelp("Vision encoders: a file with one image path per line.", valueName: "file"))
    var input: String?

    @Option(help: "Vision encoders without images: side of the random square pixels (default: the preprocessor's crop, else 224).")
    var size: Int?

    func run() throws {
        let zoo = try global.openZoo()
        let (entry, loaded) = try EncoderLoading.encoder(name, zoo: zoo)
        if let threads { ComputeThreads.set(threads) }
        var benchmark = EncoderBenchmark()
        benchmark.count = n
        benchmark.batch = batch
        benchmark.repetitions = `repeat`
        benchmark.size = size
        if case .vision = loaded, !images.isEmpty || input != nil {
            benchmark.images = try ImageInput.urls(images: images, input: input)
        }
        let result = try benchmark.run(loaded, entry: entry)
        if let writeSentences, !result.captions.isEmpty {
            try DurableFile.write(Data(result.captions.joined(separator: "\n").utf8), to: URL(fileURLWithPath: writeSentences))
        }
        if output.json {
            try Output.json(result)
            return
        }
        if let rate = result.sentencesPerSecond, let meanTokens = result.meanTokens {
            print(String(format: "%@: %d captions (%.1f tokens each), batch %d, %d threads: %.1f sentences/s (best of %d, %.3f s)",
                         entry.name, result.n, meanTokens, batch, result.threads, rate, `repeat`, result.seconds))
        }
        if let modelOnly = result.imagesPerSecondModelOnly {
            print(String(format: "%@: batch %d of %@, %d threads: %.1f images/s model only",
                         entry.name, batch, "\(result.imageSize ?? [])", result.threads, modelOnly))
            if let full = result.imagesPerSecondWithPreprocessing {
                print(String(format: "with decoding and preprocessing (%d files): %.1f images/s", benchmark.images.count, full))
            }
        }
        print(String(format: "GEMM: %.0f%% of thread time, %.1f GFLOP/s per calling thread",
                     100 * result.gemmShare, result.gemmGFLOPSPerThread))
        print("OpenBLAS: \(BLASInfo.configuration)")
    }
}

/// `zoo bench gemm`: the BLAS peak on this machine, for judging how near it the encoders run.
struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "GFLOP/s of one SGEMM C[M,N] = A[M,K] · B[K,N]ᵀ through OpenBLAS (B stored [N,K], as linear layers use it).")

    @Option(help: "Rows of A and C.") var m = 2048
    @Option(help: "Columns of C.") var n = 1536
    @Option(help: "Inner dimension.") var k = 384
    @Option(help: "Threads for BLAS (default: OpenBLAS's).") var threads: Int?
    @Option(help: "Timed repetitions; the best is reported.") var `repeat` = 20
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard m >= 1, n >= 1, k >= 1, `repeat` >= 1 else { throw ValidationError("sizes and --repeat must be at least 1") }
    }

    func run() throws {
        if let threads { ComputeThreads.set(max(1, threads)) }
        let result = GEMMBenchmark(m: m, n: n, k: k, repetitions: `repeat`).run()
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "SGEMM %dx%dx%d, %d threads: %.1f GFLOP/s (best of %d, %.2f ms)",
                         m, n, k, result.threads, result.gflops, `repeat`, result.seconds * 1e3))
            print("OpenBLAS: \(result.openblas)")
        }
    }
}
