import Foundation
import Runtime
import Testing

/// Exact search against a brute-force ranking in Double.
@Suite("Vector index: exact top-k search")
struct VectorIndexTests {
    private static func randomRows(_ count: Int, width: Int, seed: UInt64) -> [Float] {
        var random = ProjectorRandom(seed: seed)
        var rows = (0..<(count * width)).map { _ in random.uniform(bound: 1) }
        for row in 0..<count {
            let slice = row * width..<(row + 1) * width
            let norm = rows[slice].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for index in slice { rows[index] /= max(norm, 1e-12) }
        }
        return rows
    }

    private static func temporary(_ name: String) -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-index-\(UUID().uuidString)-\(name)")
    }

    /// The brute-force top k in Double, best first, ties to the lower row.
    private static func expected(_ rows: [Float], count: Int, width: Int, query: ArraySlice<Float>, k: Int) -> [(Int, Double)] {
        let base = query.startIndex
        let scores = (0..<count).map { row in
            (row, (0..<width).reduce(0.0) { $0 + Double(rows[row * width + $1]) * Double(query[base + $1]) })
        }
        return Array(scores.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k))
    }

    @Test("F32 and F16 rows, 1, 3 and 64 queries, k 1, 10 and more than the rows: the brute-force top k",
          arguments: [DType.float32, .float16])
    func matchesBruteForce(dtype: DType) throws {
        let (count, width) = (5_003, 37)
        let rows = Self.randomRows(count, width: width, seed: 1)
        let url = Self.temporary("rows.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try VectorIndex.write(rows, count: count, width: width, dtype: dtype, metadata: ["pair": "a+b"], to: url)
        let index = try VectorIndex(url: url)
        #expect(index.count == count && index.width == width && index.dtype == dtype && index.metadata["pair"] == "a+b")
        // What the search sees: the rows as stored (F16 rounds them).
        let stored = dtype == .float32 ? rows : rows.map { Float(Float16($0)) }
        for queryCount in [1, 3, 64] {
            let queries = Self.randomRows(queryCount, width: width, seed: 2 + UInt64(queryCount))
            let truths = (0..<queryCount).map {
                Self.expected(stored, count: count, width: width, query: queries[$0 * width..<($0 + 1) * width], k: 10)
            }
            for k in [1, 10] {
                let found = index.search(queries, queryCount: queryCount, k: k)
                #expect(found.count == queryCount)
                for query in 0..<queryCount {
                    let truth = truths[query].prefix(k)
                    #expect(found[query].count == k)
                    for (hit, (row, score)) in zip(found[query], truth) {
                        // Float sums may swap rows whose scores differ by rounding only.
                        #expect(abs(Double(hit.score) - score) < 1e-5, "query \(query) k \(k)")
                        if hit.row != row {
                            let hitScore = (0..<width).reduce(0.0) { $0 + Double(stored[hit.row * width + $1]) * Double(queries[query * width + $1]) }
                            #expect(abs(hitScore - score) < 1e-5, "query \(query): row \(hit.row) instead of \(row)")
                        }
                    }
                    #expect(zip(found[query], found[query].dropFirst()).allSatisfy { $0.score >= $1.score })
                }
            }
        }
        // k above the row count gives every row.
        let small = Self.temporary("small.safetensors")
        defer { try? FileManager.default.removeItem(at: small) }
        try VectorIndex.write(Array(rows.prefix(5 * width)), count: 5, width: width, dtype: dtype, metadata: [:], to: small)
        let all = try VectorIndex(url: small).search(Array(rows.prefix(width)), queryCount: 1, k: 50)
        #expect(all[0].count == 5 && all[0][0].row == 0)
    }

    @Test("equal scores go to the lower row; one thread and all threads give the same hits")
    func tiesAndThreads() throws {
        let width = 16
        var rows = Self.randomRows(9_000, width: width, seed: 9)
        // Rows 100, 4_000 and 8_999 are copies of row 7.
        for copy in [100, 4_000, 8_999] { rows.replaceSubrange(copy * width..<(copy + 1) * width, with: rows[7 * width..<8 * width]) }
        let url = Self.temporary("ties.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try VectorIndex.write(rows, count: 9_000, width: width, dtype: .float32, metadata: [:], to: url)
        let index = try VectorIndex(url: url)
        let query = Array(rows[7 * width..<8 * width])
        let hits = index.search(query, queryCount: 1, k: 4)
        #expect(hits[0].map(\.row) == [7, 100, 4_000, 8_999])
        let queries = Self.randomRows(8, width: width, seed: 10)
        let threads = ComputeThreads.count
        let parallel = index.search(queries, queryCount: 8, k: 10)
        ComputeThreads.set(1)
        let serial = index.search(queries, queryCount: 8, k: 10)
        ComputeThreads.set(threads)
        #expect(parallel == serial)
    }

    @Test("a file without the tensor, of the wrong shape or missing is a clear error")
    func badFiles() throws {
        let url = Self.temporary("bad.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var writer = SafeTensorsWriter()
        try writer.add("other", floats: [1, 2], shape: [1, 2])
        try writer.write(to: url)
        #expect(throws: VectorIndexError(path: url.path, "it has no tensor 'embeddings'; rebuild the index")) { try VectorIndex(url: url) }
        var flat = SafeTensorsWriter()
        try flat.add("embeddings", floats: [1, 2, 3])
        try flat.write(to: url)
        let error = #expect(throws: VectorIndexError.self) { try VectorIndex(url: url) }
        #expect(error?.exitStatus == .data && error?.reason.contains("[3]") == true)
        let missing = #expect(throws: VectorIndexError.self) { try VectorIndex(url: Self.temporary("none")) }
        #expect(missing?.exitStatus == .noInput)
    }
}
