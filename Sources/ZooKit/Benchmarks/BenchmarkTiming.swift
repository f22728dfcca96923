import Foundation
import Runtime

/// The best of repeated timed runs of one body, with the GEMM counters of that run.
public struct TimedRun: Sendable {
    /// Wall time of the best run.
    public var seconds: Double
    /// Time spent in GEMM, summed over the calling threads, during that run.
    public var gemmSeconds: Double
    /// Floating-point operations of the GEMMs of that run.
    public var gemmFlops: Int

    /// Runs `body` `repeat` times (at least once) and keeps the fastest run.
    public static func best(of repeat: Int, _ body: () throws -> Void) rethrows -> TimedRun {
        var best = TimedRun(seconds: .infinity, gemmSeconds: 0, gemmFlops: 0)
        for _ in 0..<max(1, `repeat`) {
            GEMMCounters.start()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let gemm = GEMMCounters.stop()
            if seconds < best.seconds {
                best = TimedRun(seconds: seconds, gemmSeconds: Double(gemm.nanoseconds) / 1e9, gemmFlops: gemm.flops)
            }
        }
        return best
    }
}

/// The SGEMM rate of OpenBLAS on this machine: the yardstick the other benchmarks are read against.
public struct GEMMBenchmark: Sendable {
    /// Rows of A and C.
    public var m = 2048
    /// Columns of C.
    public var n = 1536
    /// The inner dimension.
    public var k = 384
    /// Timed repetitions after one untimed call; the best is kept.
    public var repetitions = 20

    /// A benchmark of the given sizes.
    public init(m: Int = 2048, n: Int = 1536, k: Int = 384, repetitions: Int = 20) {
        (self.m, self.n, self.k, self.repetitions) = (m, n, k, repetitions)
    }

    /// The figures of one measurement.
    public struct Result: Encodable, Sendable {
        public let m: Int
        public let n: Int
        public let k: Int
        public let threads: Int
        /// The best call's wall time.
        public let seconds: Double
        public let gflops: Double
        /// OpenBLAS's build configuration.
        public let openblas: String
    }

    /// Runs C[m, n] = A[m, k] · B[n, k]ᵀ (B stored as linear layers store weights) and keeps the
    /// fastest of ``repetitions`` calls.
    public func run() -> Result {
        let a = [Float](repeating: 0.5, count: m * k)
        let b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for index in 0...max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if index > 0 { best = min(best, seconds) }  // the first call warms up
        }
        return Result(
            m: m, n: n, k: k, threads: ComputeThreads.count, seconds: best,
            gflops: 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9, openblas: BLASInfo.configuration)
    }
}
