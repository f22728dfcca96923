import CVectorKernels

/// A linear layer `y = x·Wᵀ + b (+ residual)` whose PyTorch-layout weight `[out, in]` is packed
/// once, at load, into the panels of zoo's AVX-512 kernel (`zoo_packed_linear`), so no call
/// re-packs it as OpenBLAS does on every GEMM.
///
/// When the kernel can run (AVX-512, `ZOO_VECTOR_LANES` unset or 16) only the packed copy is
/// kept, so memory does not grow; calls run on the calling thread inside a parallel region (a
/// `DataParallel` batch) and otherwise split their rows, in blocks of 8, over
/// ``ComputeThreads/count`` workers. On other CPUs the plain weight is kept and
/// ``BLAS/linear(input:rows:inFeatures:weight:outFeatures:bias:residual:output:)`` does the work.
public final class PackedLinear: @unchecked Sendable {
    /// Output features: rows of the weight.
    public let outFeatures: Int
    /// Input features: columns of the weight.
    public let inFeatures: Int
    /// The weight as loaded, kept only when the kernel cannot run here.
    private let plain: Tensor?
    /// The packed panels, or nil when the kernel cannot run here. Immutable after init.
    private let packed: UnsafeMutablePointer<Float>?

    /// Packs `weight` (`[out, in]`) when the kernel can run here, else keeps it for BLAS.
    public init(weight: Tensor) {
        precondition(weight.rank == 2, "a linear weight is [out, in], got \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        if zoo_packed_linear_available() == 1, outFeatures > 0, inFeatures > 0 {
            let count = zoo_packed_weights_count(outFeatures, inFeatures)
            let buffer = CacheLineMemory.floats(count)
            zoo_pack_weights(weight.baseAddress, outFeatures, inFeatures, buffer)
            packed = buffer
            plain = nil
        } else {
            packed = nil
            plain = weight
        }
    }

    deinit { packed?.deallocate() }

    /// Whether calls use the packed kernel (AVX-512 present and allowed).
    public var isPacked: Bool { packed != nil }

    /// Writes `input · Wᵀ + bias + residual` for `rows` rows of `inFeatures` into `output`
    /// (`rows × outFeatures`), then, when `activation` is given, GELU of every value (applied to
    /// each tile as it leaves the kernel; a second pass on the BLAS path). `residual` may be
    /// `output` itself; `output` must not overlap `input`.
    public func callAsFunction(
        input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil, activation: GELUForm? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outFeatures > 0 else { return }
        if let plain {
            BLAS.linear(
                input: input, rows: rows, inFeatures: inFeatures, weight: plain.baseAddress,
                outFeatures: outFeatures, bias: bias, residual: residual, output: output)
            if let activation {
                TensorKernels.gelu(output, count: rows * outFeatures, form: activation)
            }
            return
        }
        guard let packed else { return }
        let (width, depth) = (outFeatures, inFeatures)
        let code = activation.map { $0.kernelCode + 1 } ?? 0
        GEMMCounters.measure(flops: 2 * rows * width * depth) {
            // Blocks of 8 rows (the kernel's tile height); a block's multiply-adds as its cost,
            // so all but the tiniest products go parallel outside a parallel region.
            ParallelRows.forEach(count: (rows + 7) / 8, costPerRow: 8 * width * depth) { blocks in
                let first = blocks.lowerBound * 8
                let count = min(rows, blocks.upperBound * 8) - first
                zoo_packed_linear_activated(
                    input + first * depth, count, depth, packed, width, bias,
                    residual.map { $0 + first * width }, output + first * width, code)
            }
        }
    }
}
