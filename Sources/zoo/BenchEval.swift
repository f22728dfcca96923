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
        var random = ProjectorRandom(seed: 3)
        let imageMatrix = EmbeddingMatrix(values: (0..<(images * dim)).map { _ in random.uniform(bound: 1) }, rows: images, width: dim).normalized()
        let classMatrix = EmbeddingMatrix(values: (0..<(classes * dim)).map { _ in random.uniform(bound: 1) }, rows: classes, width: dim).normalized()
        let labels = (0..<images).map { _ in Int(random.next() % UInt64(classes)) }
        var best = Double.infinity
        var gemmSeconds = 0.0
        for _ in 0..<`repeat` {
            GEMMCounters.start()
            let start = DispatchTime.now().uptimeNanoseconds
            do { _ = try Scorer.classification(images: imageMatrix, classes: classMatrix, labels: labels) } catch {
                throw ZooError(.software, error.description)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let counted = GEMMCounters.stop()
            if seconds < best {
                best = seconds
                gemmSeconds = Double(counted.nanoseconds) / 1e9
            }
        }
        let flops = 2.0 * Double(images) * Double(classes) * Double(dim)
        let peak = Self.peakGFLOPS()
        let gflops = flops / best / 1e9
        if output.json {
            try Output.json(BenchEvalJSON(
                images: images, classes: classes, dim: dim, threads: ComputeThreads.count,
                seconds: best, gemmSeconds: gemmSeconds, pairsPerSecond: Double(images) * Double(classes) / best,
                gflops: gflops, peakGFLOPS: peak, fractionOfPeak: gflops / peak))
        } else {
            print(String(format: "scoring %d images × %d classes (dim %d, %d threads): %.3f s, %.2e image-class scores/s, %.1f GFLOP/s = %.0f%% of the %.1f GFLOP/s SGEMM peak (GEMM %.0f%% of the time)",
                         images, classes, dim, ComputeThreads.count, best, Double(images) * Double(classes) / best, gflops,
                         gflops / peak * 100, peak, gemmSeconds / best * 100))
        }
    }

    /// The best of five 2048 × 2048 × 512 SGEMMs, in GFLOP/s.
    static func peakGFLOPS() -> Double {
        let (m, n, k) = (2048, 2048, 512)
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for index in 0...5 {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: k, c: c.baseAddress!, ldc: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if index > 0 { best = min(best, seconds) }
        }
        return 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9
    }
}

/// JSON shape of `zoo bench eval`.
struct BenchEvalJSON: Encodable {
    let images: Int
    let classes: Int
    let dim: Int
    let threads: Int
    /// The best scoring time.
    let seconds: Double
    /// GEMM time within that run.
    let gemmSeconds: Double
    /// Image-class scores per second.
    let pairsPerSecond: Double
    let gflops: Double
    /// The measured SGEMM peak.
    let peakGFLOPS: Double
    let fractionOfPeak: Double

    enum CodingKeys: String, CodingKey {
        case images, classes, dim, threads, seconds, gflops
        case gemmSeconds = "gemm_seconds"
        case pairsPerSecond = "pairs_per_second"
        case peakGFLOPS = "peak_gflops"
        case fractionOfPeak = "fraction_of_peak"
    }
}
