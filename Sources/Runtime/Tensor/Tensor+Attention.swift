extension Tensor {
    /// Multi-head scaled dot-product attention over a right- or otherwise padded batch.
    ///
    /// `query`, `key` and `value` are `[batch, length, width]` with `heads` heads side by side in
    /// the width. For each item and head: softmax(QₕKₕᵀ/√(width/heads) + mask)·Vₕ, where keys at
    /// positions with `mask` 0 get no weight. `mask` is `[batch, length]`, non-zero for real
    /// tokens; nil attends everywhere. Query rows at padded positions are computed too.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, mask: [UInt8]? = nil
    ) -> Tensor {
        precondition(
            query.rank == 3 && query.shape == key.shape && key.shape == value.shape,
            "attention needs Q, K, V of one [batch, length, width] shape")
        let (batch, length, width) = (query.shape[0], query.shape[1], query.shape[2])
        precondition(heads > 0 && width % heads == 0, "width \(width) does not split into \(heads) heads")
        if let mask {
            precondition(mask.count == batch * length, "mask has \(mask.count) entries, not \(batch) × \(length)")
        }
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        var result = Tensor(shape: query.shape)
        guard batch > 0, length > 0, width > 0 else { return result }
        let (q, k, v) = (query.baseAddress, key.baseAddress, value.baseAddress)
        result.withUnsafeMutableBufferPointer { output in
            let output = output.baseAddress!
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: length * length)
            defer { scores.deallocate() }
            for item in 0..<batch {
                let first = item * length * width
                for head in 0..<heads {
                    let offset = first + head * headWidth
                    BLAS.sgemm(
                        transposeB: true, m: length, n: length, k: headWidth, alpha: scale,
                        a: q + offset, lda: width, b: k + offset, ldb: width,
                        c: scores, ldc: length)
                    if let mask {
                        for position in 0..<length where mask[item * length + position] == 0 {
                            for row in 0..<length { scores[row * length + position] = -.infinity }
                        }
                    }
                    TensorKernels.softmaxRows(scores, rows: length, columns: length, stride: length)
                    BLAS.sgemm(
                        m: length, n: headWidth, k: length,
                        a: scores, lda: length, b: v + offset, ldb: width,
                        c: output + offset, ldc: width)
                }
            }
        }
        return result
    }
}
