import Runtime

/// MPNet (transformers' `MPNetModel` without its pooler; `all-mpnet-base-v2`, the most used
/// sentence-transformers model): BERT's post-norm layers under other tensor names, positions
/// numbered after the padding id as RoBERTa's, no token-type table, and a relative-position bias
/// (32 buckets by default, shared by every layer) added to the attention scores. Its tokenizer is
/// WordPiece with `<s> … </s>` around each text.
public struct MPNet: TextArchitecture {
    public init() {}
    public var id: String { "mpnet" }
    public var modelTypes: [String] { ["mpnet"] }
    public var summary: String { "MPNet sentence encoders (all-mpnet-base-v2; relative position buckets), native on zoo's kernels" }
    public var weightRoots: [String] { ["mpnet."] }
    public var positions: PositionScheme { .afterPadding }
    public var defaultPadTokenID: Int { 1 }
    public var layout: TransformerLayout { .mpnet }
}
