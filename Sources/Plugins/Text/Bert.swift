import Runtime

/// BERT (transformers' `BertModel` without its pooler): word + position + token type 0
/// embeddings, positions numbered from 0, then post-norm encoder layers.
public struct Bert: TextArchitecture {
    public init() {}
    public var id: String { "bert" }
    public var modelTypes: [String] { ["bert"] }
    public var summary: String { "BERT sentence encoders (sentence-transformers layout), native on zoo's kernels" }
    public var weightRoots: [String] { ["bert."] }
    public var positions: PositionScheme { .fromZero }
    public var defaultPadTokenID: Int { 0 }
}
