import Foundation
import Registry
import Runtime

/// Scoring throughput of zero-shot classification (what `zoo eval` does after projection) on
/// random normalised embeddings, against the measured SGEMM peak.
public struct ScoringBenchmark: Sendable {
    /// Image embeddings.
    public var images = 20_000
    /// Class embeddings.
    public var classes = 1000
    /// The embedding width.
    public var dim = 512
    /// Repetitions; the best is kept.
    public var repetitions = 3

    /// A benchmark with the default sizes.
    public init() {}

    /// The figures of one benchmark.
    public struct Result: Encodable, Sendable {
        public let images: Int
        public let classes: Int
        public let dim: Int
        public let threads: Int
        /// The best scoring time.
        public let seconds: Double
        /// GEMM time within that run.
        public let gemmSeconds: Double
        /// Image-class scores per second.
        public let pairsPerSecond: Double
        public let gflops: Double
        /// The measured SGEMM peak.
        public let peakGFLOPS: Double
        public let fractionOfPeak: Double

        enum CodingKeys: String, CodingKey {
            case images, classes, dim, threads, seconds, gflops
            case gemmSeconds = "gemm_seconds"
            case pairsPerSecond = "pairs_per_second"
            case peakGFLOPS = "peak_gflops"
            case fractionOfPeak = "fraction_of_peak"
        }
    }

    /// Scores ``images`` × ``classes`` embeddings drawn from a ``ProjectorRandom`` seeded with 3,
    /// with random labels; the peak is the best of five 2048 × 2048 × 512 SGEMMs.
    public func run() throws -> Result {
        var random = ProjectorRandom(seed: 3)
        let imageMatrix = EmbeddingMatrix(values: (0..<(images * dim)).map { _ in random.uniform(bound: 1) }, rows: images, width: dim).normalized()
        let classMatrix = EmbeddingMatrix(values: (0..<(classes * dim)).map { _ in random.uniform(bound: 1) }, rows: classes, width: dim).normalized()
        let labels = (0..<images).map { _ in Int(random.next() % UInt64(classes)) }
        let run = try TimedRun.best(of: repetitions) {
            do { _ = try Scorer.classification(images: imageMatrix, classes: classMatrix, labels: labels) } catch {
                throw ZooError(.software, "\(error)")
            }
        }
        let peak = GEMMBenchmark(m: 2048, n: 2048, k: 512, repetitions: 5).run().gflops
        let flops: Double = 2.0 * Double(images) * Double(classes) * Double(dim)
        let gflops = flops / run.seconds / 1e9
        return Result(
            images: images, classes: classes, dim: dim, threads: ComputeThreads.count, seconds: run.seconds,
            gemmSeconds: run.gemmSeconds, pairsPerSecond: Double(images) * Double(classes) / run.seconds,
            gflops: gflops, peakGFLOPS: peak, fractionOfPeak: gflops / peak)
    }
}
