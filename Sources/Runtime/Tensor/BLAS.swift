import COpenBLAS
import Dispatch

/// Raw-pointer matrix kernels on OpenBLAS, for hot paths that reuse their own buffers.
///
/// Matrices are row-major; a leading dimension is the distance in elements between the starts
/// of consecutive rows, so a block of columns inside a wider matrix can be passed without copying.
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, with op(X) = X or Xᵀ (`cblas_sgemm`, row-major).
    ///
    /// - Parameters:
    ///   - m: Rows of op(A) and of C.
    ///   - n: Columns of op(B) and of C.
    ///   - k: Columns of op(A), rows of op(B).
    ///   - a: A, stored `m × k` (or `k × m` when `transposeA`) with leading dimension `lda`.
    ///   - b: B, stored `k × n` (or `n × k` when `transposeB`) with leading dimension `ldb`.
    ///   - c: C, `m × n` with leading dimension `ldc`; read only when `beta` is not zero.
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        BLASCore.ensurePrepared()
        guard k > 0 else {
            // OpenBLAS would leave C unscaled; an empty product still means C = beta · C.
            for row in 0..<m {
                let line = c + row * ldc
                for column in 0..<n { line[column] = beta == 0 ? 0 : beta * line[column] }
            }
            return
        }
        GEMMCounters.measure(flops: 2 * m * n * k) {
            cblas_sgemm(
                CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k),
                alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
        }
    }

    /// y = A · x for a row-major `m × n` matrix A with leading dimension `lda` (`cblas_sgemv`).
    public static func sgemv(
        m: Int, n: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0 else { return }
        BLASCore.ensurePrepared()
        guard n > 0 else {
            y.update(repeating: 0, count: m)
            return
        }
        GEMMCounters.measure(flops: 2 * m * n) {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(n), 1, a, blasint(lda), x, 1, 0, y, 1)
        }
    }

    /// output = input · weightᵀ + bias (+ residual): a PyTorch `nn.Linear` on `rows` rows in one
    /// GEMM.
    ///
    /// The output rows are first filled with the bias (plus the residual, when given) in one
    /// cheap pass, then a single `sgemm` with beta = 1 accumulates the product onto them.
    ///
    /// - Parameters:
    ///   - input: `rows × inFeatures`, leading dimension `inFeatures`.
    ///   - weight: PyTorch layout `outFeatures × inFeatures`.
    ///   - bias: `outFeatures` values, or nil for none.
    ///   - residual: `rows × outFeatures` values to add, or nil; may equal `output`.
    ///   - output: `rows × outFeatures`, leading dimension `outFeatures`; must not overlap `input`.
    public static func linear(
        input: UnsafePointer<Float>, rows: Int, inFeatures: Int,
        weight: UnsafePointer<Float>, outFeatures: Int,
        bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outFeatures > 0 else { return }
        let seeded = bias != nil || residual != nil
        if seeded {
            ParallelRows.forEach(count: rows, costPerRow: outFeatures) { range in
                for row in range {
                    let line = output + row * outFeatures
                    switch (bias, residual) {
                    case let (bias?, residual?):
                        let source = residual + row * outFeatures
                        for column in 0..<outFeatures { line[column] = source[column] + bias[column] }
                    case let (bias?, nil):
                        line.update(from: bias, count: outFeatures)
                    case let (nil, residual?):
                        let source = residual + row * outFeatures
                        if source != UnsafePointer(line) { line.update(from: source, count: outFeatures) }
                    case (nil, nil):
                        break
                    }
                }
            }
        }
        sgemm(
            transposeB: true, m: rows, n: outFeatures, k: inFeatures,
            a: input, lda: inFeatures, b: weight, ldb: inFeatures,
            beta: seeded ? 1 : 0, c: output, ldc: outFeatures)
    }
}
