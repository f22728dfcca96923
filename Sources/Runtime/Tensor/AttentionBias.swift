/// An additive bias on the attention scores of one sequence and head, laid out as
/// ``PackedAttention``'s kernels read it.
public protocol AttentionBias: Sendable {
    /// Writes the bias of `head` for a sequence of `length` tokens: `lines[j * stride + i]` is
    /// query i's bias for key j; entries past `length` in a line are zero. `stride` ≥ `length`.
    func fill(head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>)
}

extension RelativePositionBias: AttentionBias {}

/// The causal mask of a decoder-style text tower (CLIP's): query i sees keys 0 … i only. Keys
/// after the query get −∞, so their weight after the softmax is zero (the kernels' exponential
/// bottoms out at 2⁻¹²⁶, far below a float's resolution next to the diagonal's weight).
public struct CausalMask: AttentionBias {
    /// The mask.
    public init() {}

    public func fill(head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>) {
        for j in 0..<length {
            let line = lines + j * stride
            // Key j is visible to queries i ≥ j.
            for i in 0..<length { line[i] = i >= j ? 0 : -.infinity }
            for i in length..<stride { line[i] = 0 }
        }
    }
}
