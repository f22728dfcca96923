/// The layers of one ``ProjectorBranch``: one case per ``BranchKind``, each holding exactly the
/// layers, and so the parameters, of its kind.
public enum BranchLayers: Sendable {
    /// ``BranchKind/none``: no layers.
    case none
    /// ``BranchKind/identity``: no layers.
    case identity
    /// ``BranchKind/linear``: one layer (`linear.*`).
    case linear(Linear)
    /// ``BranchKind/mlp``: `in` (`mlp.0.*`), GELU, then `out` (`mlp.2.*`).
    case mlp(in: Linear, out: Linear)
    /// ``BranchKind/token``: a ``TokenProjector`` block.
    case token(TokenProjector)

    /// Creates the layers of `kind`, initialised from `random` as PyTorch does (identity and
    /// none draw nothing). The hidden width of mlp and token layers is `outFeatures`.
    public init(kind: BranchKind, inFeatures: Int, outFeatures: Int, random: inout ProjectorRandom) {
        switch kind {
        case .none:
            self = .none
        case .identity:
            self = .identity
        case .linear:
            self = .linear(Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random))
        case .mlp:
            let first = Linear(inFeatures: inFeatures, outFeatures: outFeatures, random: &random)
            let second = Linear(inFeatures: outFeatures, outFeatures: outFeatures, random: &random)
            self = .mlp(in: first, out: second)
        case .token:
            self = .token(TokenProjector(inFeatures: inFeatures, hiddenFeatures: outFeatures, outFeatures: outFeatures, random: &random))
        }
    }

    /// The kind these layers make.
    public var kind: BranchKind {
        switch self {
        case .none: .none
        case .identity: .identity
        case .linear: .linear
        case .mlp: .mlp
        case .token: .token
        }
    }

    /// The token block, for ``token``; nil for the other kinds.
    public var tokenBlock: TokenProjector? {
        if case .token(let block) = self { block } else { nil }
    }

    /// Moves out the layers that hold parameters, leaving ``none`` behind (``none`` and
    /// ``identity`` hold nothing and stay), so that the caller holds their arrays uniquely and
    /// can change them in place; the caller puts them back when done.
    mutating func take() -> BranchLayers {
        let taken = self
        if kind.hasParameters { self = .none }
        return taken
    }

    /// Calls `body` on the token block in place; does nothing for other kinds.
    mutating func updateTokenBlock(_ body: (inout TokenProjector) -> Void) {
        guard case .token(var block) = self else { return }
        // Left empty meanwhile, so that `block` holds the arrays uniquely.
        self = .none
        body(&block)
        self = .token(block)
    }

    /// Calls `body` on every parameter in place, in ``ProjectorBranch/parameters`` order, with
    /// its unprefixed name.
    mutating func visitParameters(_ body: (String, inout ProjectorParameter) -> Void) {
        switch take() {
        case .none, .identity:
            break
        case .linear(var layer):
            body("linear.weight", &layer.weight)
            body("linear.bias", &layer.bias)
            self = .linear(layer)
        case .mlp(var first, var second):
            body("mlp.0.weight", &first.weight)
            body("mlp.0.bias", &first.bias)
            body("mlp.2.weight", &second.weight)
            body("mlp.2.bias", &second.bias)
            self = .mlp(in: first, out: second)
        case .token(var block):
            body("norm.weight", &block.norm.weight)
            body("norm.bias", &block.norm.bias)
            body("linear.weight", &block.linear.weight)
            body("linear.bias", &block.linear.bias)
            body("mlp.0.weight", &block.mlpIn.weight)
            body("mlp.0.bias", &block.mlpIn.bias)
            body("mlp.2.weight", &block.mlpOut.weight)
            body("mlp.2.bias", &block.mlpOut.bias)
            self = .token(block)
        }
    }
}
