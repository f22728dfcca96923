import ArgumentParser
import Foundation
import Registry
import Runtime

/// `zoo bench …`: throughput benchmarks (never timed tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure throughput.", subcommands: [BenchEncode.self, BenchGEMM.self])
}

/// `zoo bench encode NAME [--n N] [--batch B]`: sentences/s on generated captions.
struct BenchEncode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Sentences/s of a text encoder on a fixed, generated set of captions of 6-20 words (tokenizing included).")

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

    func run() throws {
        let zoo = try global.openZoo()
        let (entry, encoder) = try EncoderLoading.textEncoder(name, zoo: zoo)
        if let threads { ComputeThreads.set(threads) }
        let captions = CaptionGenerator.captions(count: n)
        if let writeSentences {
            do { try captions.joined(separator: "\n").write(toFile: writeSentences, atomically: true, encoding: .utf8) } catch {
                throw ZooError(.io, "cannot write '\(writeSentences)': \(error.localizedDescription)")
            }
        }
        _ = try encoder.encode(Array(captions.prefix(batch)))  // warm-up
        var best = Double.infinity
        var tokenCount = 0
        for _ in 0..<`repeat` {
            let start = DispatchTime.now().uptimeNanoseconds
            tokenCount = 0
            for first in stride(from: 0, to: captions.count, by: batch) {
                let encoding = try encoder.encode(Array(captions[first..<min(first + batch, captions.count)]))
                tokenCount += encoding.lengths.reduce(0, +)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let rate = Double(captions.count) / best
        let environment = ProcessInfo.processInfo.environment
        let result: [String: Any] = [
            "encoder": entry.name, "n": captions.count, "batch": batch, "threads": ComputeThreads.count,
            "seconds": best, "sentences_per_second": rate, "tokens_per_second": Double(tokenCount) / best,
            "mean_tokens": Double(tokenCount) / Double(captions.count), "openblas": BLASInfo.configuration,
            "openblas_coretype": environment["OPENBLAS_CORETYPE"] ?? NSNull(),
        ]
        if output.json {
            try Output.json(result)
        } else {
            print(String(format: "%@: %d captions (%.1f tokens each), batch %d, %d threads: %.1f sentences/s (best of %d, %.3f s)",
                         entry.name, captions.count, Double(tokenCount) / Double(captions.count), batch,
                         ComputeThreads.count, rate, `repeat`, best))
            print("OpenBLAS: \(BLASInfo.configuration)")
        }
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
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for index in 0...`repeat` {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: a.baseAddress!, lda: k,
                                   b: b.baseAddress!, ldb: k, c: c.baseAddress!, ldc: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if index > 0 { best = min(best, seconds) }  // the first call warms up
        }
        let gflops = 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9
        if output.json {
            try Output.json(["m": m, "n": n, "k": k, "threads": ComputeThreads.count, "seconds": best,
                             "gflops": gflops, "openblas": BLASInfo.configuration])
        } else {
            print(String(format: "SGEMM %dx%dx%d, %d threads: %.1f GFLOP/s (best of %d, %.2f ms)",
                         m, n, k, ComputeThreads.count, gflops, `repeat`, best * 1e3))
            print("OpenBLAS: \(BLASInfo.configuration)")
        }
    }
}
