/// An additive bias on the attention scores of one sequence and head, laid out as
/// ``PackedAttention``'s kernels read it.
public protocol AttentionBias: Sendable {
    /// Writes the bias of `head` for sequence number `sequence` of the batch, `length` tokens:
    /// `lines[j * stride + i]` is query i's bias for key j; entries past `length` in a line are
    /// zero. `stride` ≥ `length`.
    func fill(sequence: Int, head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>)
}

extension RelativePositionBias: AttentionBias {
    public func fill(sequence: Int, head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>) {
        fill(head: head, length: length, stride: stride, into: lines)
    }
}

/// The causal mask of a decoder-style text tower (CLIP's): query i sees keys 0 … i only. Keys
/// after the query get −∞, so their weight after the softmax is zero (the kernels' exponential
/// bottoms out at 2⁻¹²⁶, far below a float's resolution next to the diagonal's weight).
public struct CausalMask: AttentionBias {
    /// The mask.
    public init() {}

    public func fill(sequence: Int, head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>) {
        for j in 0..<length {
            let line = lines + j * stride
            // Key j is visible to queries i ≥ j.
            for i in 0..<length { line[i] = i >= j ? 0 : -.infinity }
            for i in length..<stride { line[i] = 0 }
        }
    }
}

/// The padding mask of sequences padded to a fixed length (SigLIP's text tower): in sequence s,
/// keys at positions ≥ `visible[s]` get −∞, so no query attends to padding; the padding rows
/// themselves are still computed (the tower pools its last one).
public struct KeyPaddingMask: AttentionBias {
    /// Each sequence's count of real tokens, which come first.
    public let visible: [Int]

    /// A mask hiding the keys after the first `visible[s]` of sequence s.
    public init(visible: [Int]) {
        self.visible = visible
    }

    public func fill(sequence: Int, head: Int, length: Int, stride: Int, into lines: UnsafeMutablePointer<Float>) {
        let shown = max(1, min(length, visible[sequence]))
        for j in 0..<length {
            let line = lines + j * stride
            let value: Float = j < shown ? 0 : -.infinity
            for i in 0..<length { line[i] = value }
            for i in length..<stride { line[i] = 0 }
        }
    }
}
