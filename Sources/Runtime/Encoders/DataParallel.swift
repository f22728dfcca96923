/// Splits a batch of sequences across threads: each thread runs the whole model on its share
/// with single-threaded BLAS. For batches of short sequences this beats one multi-threaded
/// GEMM per layer, whose fork-join cost is large next to its work, and it spreads the
/// element-wise layers too.
public enum DataParallel {
    /// Contiguous ranges of `lengths`' indices, at most `parts` of them, each with about the
    /// same total length: each cut falls before or after the item that crosses its share,
    /// whichever lands nearer (the slowest thread sets the pace, so every token of imbalance
    /// is lost time).
    public static func split(lengths: [Int], parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, lengths.count))
        guard parts > 1 else { return lengths.isEmpty ? [] : [0..<lengths.count] }
        let total = lengths.reduce(0) { $0 + max($1, 1) }
        var ranges: [Range<Int>] = []
        var start = 0
        var accumulated = 0
        for (index, length) in lengths.enumerated() {
            let weight = max(length, 1)
            accumulated += weight
            let remainingParts = parts - ranges.count - 1
            // In units of 1/parts of a token: where the current cut should fall.
            let share = total * (ranges.count + 1)
            guard remainingParts > 0, accumulated * parts >= share else { continue }
            let over = accumulated * parts - share
            let under = share - (accumulated - weight) * parts
            if under < over, index > start, lengths.count - index >= remainingParts {
                ranges.append(start..<index)
                start = index
            } else if lengths.count - index - 1 >= remainingParts {
                ranges.append(start..<index + 1)
                start = index + 1
            }
        }
        if start < lengths.count { ranges.append(start..<lengths.count) }
        return ranges
    }

    /// Runs `body` on each range of `lengths` on its own thread (OpenBLAS held at one thread)
    /// and returns the results in order; the first error is rethrown.
    public static func map<Result>(lengths: [Int], parts: Int, _ body: (Range<Int>) throws -> Result) throws -> [Result] {
        let ranges = split(lengths: lengths, parts: parts)
        if ranges.count <= 1 { return try ranges.map(body) }
        var results = [Swift.Result<Result, any Error>?](repeating: nil, count: ranges.count)
        results.withUnsafeMutableBufferPointer { slots in
            ComputeThreads.withSingleThreadedBLAS {
                ParallelRows.run(workers: ranges.count) { worker in
                    slots[worker] = Swift.Result { try body(ranges[worker]) }
                }
            }
        }
        return try results.map { try $0!.get() }
    }
}

extension TextEncoding {
    /// Joins encodings of consecutive parts of one batch, padding token states to the longest.
    public static func concatenated(_ parts: [TextEncoding]) -> TextEncoding {
        if parts.count == 1 { return parts[0] }
        let pooledWidth = parts.first?.pooled.shape.last ?? 0
        let width = parts.first.map { $0.tokens.rank == 3 ? $0.tokens.shape[2] : pooledWidth } ?? 0
        let longest = parts.map { $0.tokens.rank == 3 ? $0.tokens.shape[1] : 0 }.max() ?? 0
        let batch = parts.reduce(0) { $0 + $1.lengths.count }
        var tokens = [Float](repeating: 0, count: batch * longest * width)
        var mask = [UInt8](repeating: 0, count: batch * longest)
        var pooled: [Float] = []
        pooled.reserveCapacity(batch * pooledWidth)
        var lengths: [Int] = []
        var row = 0
        for part in parts {
            let partLength = part.tokens.rank == 3 ? part.tokens.shape[1] : 0
            part.tokens.withUnsafeBufferPointer { source in
                for local in 0..<part.lengths.count {
                    let count = part.lengths[local] * width
                    let from = local * partLength * width
                    let to = (row + local) * longest * width
                    tokens.withUnsafeMutableBufferPointer { target in
                        for index in 0..<count { target[to + index] = source[from + index] }
                    }
                    for t in 0..<part.lengths[local] { mask[(row + local) * longest + t] = 1 }
                }
            }
            pooled += part.pooled.scalars
            lengths += part.lengths
            row += part.lengths.count
        }
        return TextEncoding(
            tokens: Tensor(shape: [batch, longest, width], scalars: tokens), mask: mask, lengths: lengths,
            pooled: Tensor(shape: [batch, pooledWidth], scalars: pooled))
    }
}
