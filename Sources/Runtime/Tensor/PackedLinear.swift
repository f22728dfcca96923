import CVectorKernels
import Dispatch

/// A linear layer `y = x·Wᵀ + b (+ residual)` whose PyTorch-layout weight `[out, in]` is packed
/// once, at load, into the panels of zoo's AVX-512 kernel (`zoo_packed_linear`), so no call
/// re-packs it as OpenBLAS does on every GEMM.
///
/// The kernel runs on the calling thread; it is used where the work is already spread over
/// threads (inside ``ComputeThreads/withSingleThreadedBLAS(_:)``, as `DataParallel` batches
/// are) or when zoo runs on one thread. Elsewhere, and on CPUs without AVX-512 (or with
/// `ZOO_VECTOR_LANES` below 16), ``BLAS/linear(input:rows:inFeatures:weight:outFeatures:bias:residual:output:)``
/// does the work with the plain weight.
public final class PackedLinear: @unchecked Sendable {
    /// Output features: rows of the weight.
    public let outFeatures: Int
    /// Input features: columns of the weight.
    public let inFeatures: Int
    /// The weight as loaded, `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// The packed panels, or nil when the kernel cannot run on this CPU. Immutable after init.
    private let packed: UnsafeMutablePointer<Float>?

    /// Packs `weight` (`[out, in]`) when the kernel can run here.
    public init(weight: Tensor) {
        precondition(weight.rank == 2, "a linear weight is [out, in], got \(weight.shape)")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        self.weight = weight
        if zoo_packed_linear_available() == 1, outFeatures > 0, inFeatures > 0 {
            let count = zoo_packed_weights_count(outFeatures, inFeatures)
            let buffer = UnsafeMutableRawPointer.allocate(
                byteCount: count * MemoryLayout<Float>.stride, alignment: 64
            ).bindMemory(to: Float.self, capacity: count)
            zoo_pack_weights(weight.baseAddress, outFeatures, inFeatures, buffer)
            packed = buffer
        } else {
            packed = nil
        }
    }

    deinit { packed.map { UnsafeMutableRawPointer($0).deallocate() } }

    /// Whether calls can use the packed kernel (AVX-512 present and allowed).
    public var isPacked: Bool { packed != nil }

    /// Writes `input · Wᵀ + bias + residual` for `rows` rows of `inFeatures` into `output`
    /// (`rows × outFeatures`). `residual` may be `output` itself; `output` must not overlap
    /// `input`.
    public func callAsFunction(
        input: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, outFeatures > 0 else { return }
        if let packed, ComputeThreads.isInsideParallelRegion || ComputeThreads.count == 1 {
            let started = GEMMCounters.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            zoo_packed_linear(input, rows, inFeatures, packed, outFeatures, bias, residual, output)
            if started != 0 {
                GEMMCounters.record(
                    nanoseconds: DispatchTime.now().uptimeNanoseconds - started, flops: 2 * rows * outFeatures * inFeatures)
            }
        } else {
            BLAS.linear(
                input: input, rows: rows, inFeatures: inFeatures, weight: weight.baseAddress,
                outFeatures: outFeatures, bias: bias, residual: residual, output: output)
        }
    }
}
