import Runtime

/// How a sentence embedding is pooled from token states.
public enum PoolingMode: String, Sendable, CaseIterable {
    /// The mean over the real (unpadded) tokens.
    case mean
    /// The first token's state (`[CLS]` or `<s>`).
    case cls
}

/// The last hidden states of a batch of sequences, packed row after row without padding.
public struct PackedHiddenStates: Sendable {
    /// `[ΣL, width]`: sequence 0's rows, then sequence 1's, and so on.
    public let states: Tensor
    /// Each sequence's number of tokens, in batch order.
    public let lengths: [Int]
    /// Each sequence's rows in ``states``.
    public let ranges: [Range<Int>]

    /// Wraps packed `states` whose sequences have `lengths` tokens.
    public init(states: Tensor, lengths: [Int]) {
        precondition(states.rank == 2, "packed states must be [rows, width], got \(states.shape)")
        let ranges = Self.ranges(for: lengths)
        let rows = ranges.last?.upperBound ?? 0
        precondition(rows == states.shape[0], "lengths sum to \(rows), not \(states.shape[0]) rows")
        self.states = states
        self.lengths = lengths
        self.ranges = ranges
    }

    /// Consecutive row ranges for sequences of `lengths` tokens.
    static func ranges(for lengths: [Int]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(lengths.count)
        var start = 0
        for length in lengths {
            ranges.append(start..<start + length)
            start += length
        }
        return ranges
    }

    /// The width of every token state.
    public var width: Int { states.shape[1] }

    /// The number of sequences.
    public var batchSize: Int { lengths.count }

    /// The longest sequence's length (0 for an empty batch).
    public var maxLength: Int { lengths.max() ?? 0 }

    /// The states right-padded to `[batch, maxLength, width]` with zeros, and the mask
    /// `[batch, maxLength]` (row-major, 1 for a real token, 0 for padding).
    public func padded() -> (tokens: Tensor, mask: [UInt8]) {
        let longest = maxLength
        let width = self.width
        var tokens = Tensor(shape: [batchSize, longest, width])
        var mask = [UInt8](repeating: 0, count: batchSize * longest)
        tokens.withUnsafeMutableBufferPointer { output in
            let source = states.baseAddress
            for (item, rows) in ranges.enumerated() {
                (output.baseAddress! + item * longest * width).update(
                    from: source + rows.lowerBound * width, count: rows.count * width)
                for position in 0..<rows.count { mask[item * longest + position] = 1 }
            }
        }
        return (tokens, mask)
    }

    /// One embedding per sequence, `[batch, width]`, pooled as `mode` says.
    ///
    /// Mean pooling averages a sequence's rows; CLS pooling takes its first row. An empty
    /// sequence pools to zeros.
    public func pooled(_ mode: PoolingMode) -> Tensor {
        let width = self.width
        var result = Tensor(shape: [batchSize, width])
        result.withUnsafeMutableBufferPointer { output in
            let source = states.baseAddress
            for (item, rows) in ranges.enumerated() {
                let target = output.baseAddress! + item * width
                switch mode {
                case .mean:
                    TensorKernels.meanOfRows(
                        source + rows.lowerBound * width, count: rows.count, width: width, output: target)
                case .cls:
                    if rows.isEmpty {
                        target.update(repeating: 0, count: width)
                    } else {
                        target.update(from: source + rows.lowerBound * width, count: width)
                    }
                }
            }
        }
        return result
    }
}
