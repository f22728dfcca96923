import Foundation
import Registry
import Runtime

/// Queries/s of exact top-k search over an index file, for batches of queries of several sizes;
/// scripts/peer_bench_search.py runs faiss-cpu `IndexFlatIP` on the same vectors and queries.
public struct SearchBenchmark: Sendable {
    /// The index file (tensor `embeddings` [N, D]).
    public var index: URL
    /// A safetensors file with tensor `queries` F32 [Q, D].
    public var queries: URL
    /// Query batch sizes to time.
    public var batches = [1, 64]
    /// Hits per query.
    public var k = 10
    /// Seconds of searching per batch size (at least one pass over the batches).
    public var seconds = 5.0

    /// A benchmark over `index` with the queries of `queries`.
    public init(index: URL, queries: URL) {
        self.index = index
        self.queries = queries
    }

    /// One batch size's figures.
    public struct BatchResult: Encodable, Sendable {
        public let batch: Int
        /// Batches searched.
        public let searches: Int
        /// Median milliseconds per batch.
        public let millisecondsPerBatch: Double
        public let queriesPerSecond: Double
        /// The rows found for the first batch, best first per query.
        public let firstHits: [[Int]]

        enum CodingKeys: String, CodingKey {
            case batch, searches
            case millisecondsPerBatch = "ms_per_batch"
            case queriesPerSecond = "queries_per_second"
            case firstHits = "first_hits"
        }
    }

    /// The figures of one run.
    public struct Result: Encodable, Sendable {
        public let n: Int
        public let dim: Int
        public let dtype: String
        public let k: Int
        public let threads: Int
        public let batches: [BatchResult]
    }

    /// Opens both files and times each batch size: consecutive batches of the queries, cycling,
    /// for about ``seconds``; reports the median time per batch.
    public func run() throws -> Result {
        let opened = try VectorIndex(url: index)
        let file: SafeTensorsFile
        let all: [Float]
        do {
            file = try SafeTensorsFile(url: queries)
            all = try file.floats("queries")
        } catch {
            throw ZooError(.data, "'\(queries.path)': \(error); it needs an F32 tensor 'queries' [Q, \(opened.width)]")
        }
        let info = try file.info("queries")
        guard info.shape.count == 2, info.shape[1] == opened.width, info.shape[0] > 0 else {
            throw ZooError(.data, "'\(queries.path)': tensor 'queries' is \(info.shape); expected [Q, \(opened.width)]")
        }
        let available = info.shape[0]
        var results: [BatchResult] = []
        for batch in batches {
            guard batch >= 1, batch <= available else {
                throw ZooError(.usage, "batch \(batch) needs that many queries; '\(queries.path)' has \(available)")
            }
            var times: [Double] = []
            var first: [[Int]] = []
            var offset = 0
            let started = DispatchTime.now().uptimeNanoseconds
            repeat {
                if offset + batch > available { offset = 0 }
                let slice = Array(all[offset * opened.width..<(offset + batch) * opened.width])
                let start = DispatchTime.now().uptimeNanoseconds
                let hits = opened.search(slice, queryCount: batch, k: k)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                if first.isEmpty { first = hits.map { $0.map(\.row) } }
                offset += batch
            } while Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < seconds || times.count < 3
            let median = times.sorted()[times.count / 2]
            results.append(BatchResult(
                batch: batch, searches: times.count, millisecondsPerBatch: median * 1e3,
                queriesPerSecond: Double(batch) / median, firstHits: first))
        }
        return Result(
            n: opened.count, dim: opened.width, dtype: opened.dtype == .float16 ? "f16" : "f32", k: k,
            threads: ComputeThreads.count, batches: results)
    }
}
