import Foundation

/// Row vectors on disk (the tensor `embeddings`, F32 or F16 `[count, width]`, of a safetensors
/// file, memory-mapped) searched exactly by inner product: the top `k` rows for each query.
///
/// A search splits the rows into one contiguous range per thread (``ComputeThreads/count``);
/// each thread scores blocks of rows with one BLAS call (`sgemv` for one query, `sgemm` for
/// several; F16 rows are widened block by block) and keeps its own best `k` per query, found
/// by comparing 16 scores at a time with the current `k`-th best; the threads' lists are merged
/// at the end. Ties go to the lower row. Peak extra memory is a block of scores and, for F16,
/// a block of rows per thread.
public final class VectorIndex: Sendable {
    /// The file.
    public let url: URL
    /// Number of rows.
    public let count: Int
    /// Width of each row.
    public let width: Int
    /// The rows' storage type.
    public let dtype: DType

    private let file: SafeTensorsFile
    /// The tensor holding the rows.
    static let tensorName = "embeddings"

    /// Opens and checks the index file at `url`.
    public init(url: URL) throws(VectorIndexError) {
        self.url = url
        do { file = try SafeTensorsFile(url: url) } catch {
            throw VectorIndexError(FileManager.default.fileExists(atPath: url.path) ? .data : .noInput, path: url.path, error.description)
        }
        guard let info = try? file.info(Self.tensorName) else {
            throw VectorIndexError(path: url.path, "it has no tensor '\(Self.tensorName)'; rebuild the index")
        }
        guard info.shape.count == 2, info.dtype == .float32 || info.dtype == .float16 else {
            throw VectorIndexError(path: url.path, "tensor '\(Self.tensorName)' is \(info.dtype) \(info.shape); expected F32 or F16 [count, width]")
        }
        count = info.shape[0]
        width = info.shape[1]
        dtype = info.dtype
    }

    /// The metadata of the file.
    public var metadata: [String: String] { file.metadata }

    /// The best `k` rows for each of the `queryCount` queries in `queries` (`[queryCount,
    /// width]`, row-major), best first. `k` is capped at ``count``.
    public func search(_ queries: [Float], queryCount: Int, k: Int) -> [[SearchHit]] {
        precondition(queries.count == queryCount * width && k >= 1, "VectorIndex.search: \(queries.count) values for \(queryCount) queries of width \(width)")
        let keep = min(k, count)
        guard queryCount > 0 else { return [] }
        guard keep > 0, width > 0 else { return Array(repeating: [], count: queryCount) }
        let blockRows = Self.blockRows(queries: queryCount, width: width)
        let blocks = (count + blockRows - 1) / blockRows
        let workers = ParallelRows.workers(for: blocks)
        let partial = PartialResults(workers: workers)
        // Raw bytes stay mapped for the whole call.
        _ = try? file.withRawBytes(Self.tensorName) { raw in
            let base = UnsafeSendableBox(raw)
            let run = {
                ParallelRows.run(workers: workers) { worker in
                    let first = blocks * worker / workers * blockRows
                    let end = min(self.count, blocks * (worker + 1) / workers * blockRows)
                    partial.store(
                        worker,
                        self.scan(base.value, rows: first..<end, queries: queries, queryCount: queryCount, k: keep, blockRows: blockRows))
                }
            }
            if workers > 1 { ComputeThreads.withSingleThreadedBLAS(run) } else { run() }
        }
        let lists = partial.lists
        return (0..<queryCount).map { query in TopK.merge(lists.map { $0[query] }, k: keep) }
    }

    /// Rows per block: about 1 MiB of scores for many queries, 16,384 rows for one.
    static func blockRows(queries: Int, width: Int) -> Int {
        max(256, min(16_384, 262_144 / max(1, queries)))
    }

    /// Scans `rows` of the tensor in blocks; returns each query's best `k` among them.
    private func scan(
        _ raw: UnsafeRawBufferPointer, rows: Range<Int>, queries: [Float], queryCount: Int, k: Int, blockRows: Int
    ) -> [[SearchHit]] {
        var tops = (0..<queryCount).map { _ in TopK(k: k) }
        guard !rows.isEmpty else { return tops.map(\.hits) }
        let rowBytes = width * dtype.byteSize
        let aligned = dtype == .float32 && Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: aligned ? 0 : blockRows * width)
        defer { widened.deallocate() }
        var scores = [Float](repeating: 0, count: blockRows * queryCount)
        queries.withUnsafeBufferPointer { queries in
            for start in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
                let rowCount = min(blockRows, rows.upperBound - start)
                let source = raw.baseAddress! + start * rowBytes
                let block: UnsafePointer<Float>
                if aligned {
                    block = source.assumingMemoryBound(to: Float.self)
                } else {
                    Self.widen(source, dtype: dtype, count: rowCount * width, into: widened)
                    block = UnsafePointer(widened)
                }
                scores.withUnsafeMutableBufferPointer { scores in
                    if queryCount == 1 {
                        BLAS.sgemv(m: rowCount, n: width, a: block, lda: width, x: queries.baseAddress!, y: scores.baseAddress!)
                    } else {
                        BLAS.sgemm(
                            transposeB: true, m: queryCount, n: rowCount, k: width, a: queries.baseAddress!, lda: width,
                            b: block, ldb: width, c: scores.baseAddress!, ldc: rowCount)
                    }
                    for query in 0..<queryCount {
                        Self.select(scores.baseAddress! + query * rowCount, count: rowCount, firstRow: start, into: &tops[query])
                    }
                }
            }
        }
        return tops.map(\.hits)
    }

    /// Offers `count` scores of consecutive rows to `top`, 16 at a time against its threshold.
    @inline(__always)
    private static func select(_ scores: UnsafePointer<Float>, count: Int, firstRow: Int, into top: inout TopK) {
        var index = 0
        var threshold = top.threshold
        let raw = UnsafeRawPointer(scores)
        while index + 16 <= count {
            let lanes = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            if any(lanes .> SIMD16(repeating: threshold)) {
                for lane in 0..<16 where lanes[lane] > threshold {
                    top.insert(row: firstRow + index + lane, score: lanes[lane])
                    threshold = top.threshold
                }
            }
            index += 16
        }
        while index < count {
            if scores[index] > threshold {
                top.insert(row: firstRow + index, score: scores[index])
                threshold = top.threshold
            }
            index += 1
        }
    }

    /// Little-endian F32 or F16 values at `source` as Floats in `buffer`.
    private static func widen(_ source: UnsafeRawPointer, dtype: DType, count: Int, into target: UnsafeMutablePointer<Float>) {
        if dtype == .float32 {
            for index in 0..<count {
                target[index] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        } else {
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                target[index] = Float(Float16(bitPattern: bits))
            }
        }
    }

    /// Writes `rows` (`[count, width]`, each normalised by the caller) as an index file:
    /// F32 or F16 (round to nearest even), with `metadata`; durable (temporary file, fsync,
    /// rename).
    public static func write(
        _ rows: [Float], count: Int, width: Int, dtype: DType, metadata: [String: String], to url: URL
    ) throws(SafeTensorsWriterError) {
        precondition(rows.count == count * width && (dtype == .float32 || dtype == .float16))
        var writer = SafeTensorsWriter(metadata: metadata)
        if dtype == .float32 {
            try writer.add(tensorName, floats: rows, shape: [count, width])
        } else {
            var bytes = [UInt8](repeating: 0, count: rows.count * 2)
            for (index, value) in rows.enumerated() {
                let bits = Float16(value).bitPattern
                bytes[2 * index] = UInt8(truncatingIfNeeded: bits)
                bytes[2 * index + 1] = UInt8(truncatingIfNeeded: bits >> 8)
            }
            try writer.add(tensorName, dtype: .float16, shape: [count, width], bytes: bytes)
        }
        try writer.write(to: url)
    }
}

/// Each worker's per-query lists, written once per worker.
private final class PartialResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[[SearchHit]]]

    init(workers: Int) { storage = Array(repeating: [], count: workers) }

    func store(_ worker: Int, _ lists: [[SearchHit]]) {
        lock.lock()
        storage[worker] = lists
        lock.unlock()
    }

    var lists: [[[SearchHit]]] {
        lock.lock()
        defer { lock.unlock() }
        return storage.filter { !$0.isEmpty }
    }
}
