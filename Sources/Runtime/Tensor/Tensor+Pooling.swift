extension Tensor {
    /// Masked mean pooling of token states `[batch, length, width]` with `mask` `[batch, length]`
    /// (non-zero = real token): Σ mask·x / max(Σ mask, 1e-9), as sentence-transformers computes
    /// it. Returns `[batch, width]`; a row with no real token pools to zeros.
    public func meanPooled(mask: [UInt8]) -> Tensor {
        precondition(rank == 3, "mean pooling needs [batch, length, width], got \(shape)")
        let (batch, length, width) = (shape[0], shape[1], shape[2])
        precondition(mask.count == batch * length, "mask has \(mask.count) entries, not \(batch) × \(length)")
        var result = Tensor(shape: [batch, width])
        result.withUnsafeMutableBufferPointer { output in
            let states = baseAddress
            for item in 0..<batch {
                let pooled = output.baseAddress! + item * width
                var real = 0
                for position in 0..<length where mask[item * length + position] != 0 {
                    real += 1
                    let row = states + (item * length + position) * width
                    for column in 0..<width { pooled[column] += row[column] }
                }
                let divisor = max(Float(real), 1e-9)
                for column in 0..<width { pooled[column] /= divisor }
            }
        }
        return result
    }

    /// The first token's state of each sequence, `[batch, length, width]` → `[batch, width]`.
    public func clsPooled() -> Tensor {
        precondition(rank == 3 && shape[1] > 0, "CLS pooling needs [batch, length ≥ 1, width], got \(shape)")
        let (batch, length, width) = (shape[0], shape[1], shape[2])
        var result = Tensor(shape: [batch, width])
        result.withUnsafeMutableBufferPointer { output in
            for item in 0..<batch {
                (output.baseAddress! + item * width).update(
                    from: baseAddress + item * length * width, count: width)
            }
        }
        return result
    }
}
