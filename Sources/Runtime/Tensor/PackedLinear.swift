import CVectorKernels

/// A linear layer `y = x·Wᵀ + b (+ residual)` whose PyTorch-layout weight `[out, in]` is packed
/// once, at load, into the panels of zoo's own kernel (`zoo_packed_linear_activated`: AVX-512,
/// AVX2 with FMA or portable C, the copy `ZOO_VECTOR_LANES` or the CPU selects), so no call
/// re-packs it as OpenBLAS does on every GEMM.
///
/// Every output value is the bias, then one fused multiply-add per input feature in order, then
/// the residual: the same bits on the AVX-512 and AVX2 copies, and never dependent on how many
/// rows a call has or how they are split over threads. Only the packed copy is kept, so memory
/// does not grow; calls run on the calling thread inside a parallel region (a `DataParallel`
/// batch) and otherwise split their rows, in blocks of 8, over ``ComputeThreads/count`` workers.
public final class PackedLinear: @unchecked Sendable {
    /// Output features: rows of the weight.
    public let outFeatures: Int
    /// Input features: columns of the weight.
    public let inFeatures: Int
    /// The packed panels (nil for an empty weight). Immutable after init.
    private let packed: UnsafeMutablePointer<Float>?

    /// Packs `weight` (`[out, in]`) for the kernel copy in use.
    public init(weight: Tensor) {
        precondition(weight.rank == 2, "a linear weight is [out, in], got \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        if outFeatures > 0, inFeatures > 0 {
            let count = zoo_packed_weights_count(outFeatures, inFeatures)
            let buffer = CacheLineMemory.floats(count)
            zoo_pack_weights(weight.baseAddress, outFeatures, inFeatures, buffer)
            packed = buffer
        } else {
            packed = nil
        }
    }

    deinit { packed?.deallocate() }

    /// Writes `input · Wᵀ + bias + residual` for `rows` rows of `inFeatures` into `output`
    /// (`rows × outFeatures`), then, when `activation` is given, GELU of every value (applied to
    /// each tile as it leaves the kernel). `residual` may be `output` itself; `output` must not
    /// overlap `input`. With no input features the output is bias + residual.
    public func callAsFunction(
        input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil, activation: GELUForm? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outFeatures > 0 else { return }
        guard let packed else {
            // No input features: each value is its bias plus its residual.
            for index in 0..<(rows * outFeatures) {
                let value = (bias?[index % outFeatures] ?? 0) + (residual?[index] ?? 0)
                output[index] = activation?.apply(value) ?? value
            }
            return
        }
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
