extension Tensor {
    /// The matrix product op(a) · op(b) · alpha of two rank-2 tensors, where op transposes
    /// when asked; one `sgemm` call.
    public static func matmul(
        _ a: Tensor, _ b: Tensor,
        transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1
    ) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kB = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kB, "matmul inner dimensions differ: \(a.shape) and \(b.shape)")
        var result = Tensor(shape: [m, n])
        result.withUnsafeMutableBufferPointer { output in
            guard let c = output.baseAddress else { return }
            BLAS.sgemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a.baseAddress, lda: a.shape[1], b: b.baseAddress, ldb: b.shape[1],
                c: c, ldc: n)
        }
        return result
    }

    /// x · weightᵀ + bias for a PyTorch-layout weight `[out, in]`, over the last axis of `x`
    /// (`[…, in]` → `[…, out]`); one `sgemm` call, the bias seeded into the output first.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        let outFeatures = weight.shape[0]
        let inFeatures = weight.shape[1]
        precondition(
            x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
            "linear input \(x.shape) does not end in \(inFeatures)")
        if let bias {
            precondition(bias.count == outFeatures, "linear bias has \(bias.count) elements, not \(outFeatures)")
        }
        let rows = inFeatures == 0 ? x.shape.dropLast().reduce(1, *) : x.count / inFeatures
        var result = Tensor(shape: Array(x.shape.dropLast()) + [outFeatures])
        result.withUnsafeMutableBufferPointer { output in
            guard let output = output.baseAddress else { return }
            BLAS.linear(
                input: x.baseAddress, rows: rows, inFeatures: inFeatures,
                weight: weight.baseAddress, outFeatures: outFeatures,
                bias: bias?.baseAddress, output: output)
        }
        return result
    }
}
