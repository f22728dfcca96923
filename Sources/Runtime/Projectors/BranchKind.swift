/// What one branch of a ``PairProjector`` computes for each row (token or pooled embedding) it
/// is given.
///
/// The raw values are the names used in a ``ProjectorArchitecture``'s JSON.
public enum BranchKind: String, Codable, Sendable, CaseIterable, Hashable {
    /// No branch: contributes nothing (a vision branch) or passes rows through unchanged (the
    /// text token branch, where it means the same as ``identity``). No parameters.
    case none
    /// y = x. Needs equal input and output widths; no parameters.
    case identity
    /// y = Linear(x), keys `linear.weight` `[out, in]` and `linear.bias`.
    case linear
    /// y = Linear(GELU(Linear(x))) with hidden width = output width, keys `mlp.0.*` and
    /// `mlp.2.*`, as PyTorch's `nn.Sequential(Linear, GELU, Linear)`.
    case mlp
    /// The paper's per-token block, a ``TokenProjector`` (LayerNorm → Dropout →
    /// Linear(n) + Linear(GELU(Linear(n)))), hidden width = output width, keys `norm.*`,
    /// `linear.*`, `mlp.0.*`, `mlp.2.*`. The only kind that applies dropout.
    case token

    /// Whether the kind has trainable parameters.
    public var hasParameters: Bool {
        switch self {
        case .none, .identity: return false
        case .linear, .mlp, .token: return true
        }
    }
}
