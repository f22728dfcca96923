import Runtime

/// RoBERTa (transformers' `RobertaModel` without its pooler): BERT's layers, with positions
/// numbered after the padding id, so its table holds `pad_token_id + 1` fewer tokens.
///
/// XLM-RoBERTa shares the layers but ships a Unigram tokenizer, which zoo does not read yet;
/// it is not listed.
public struct Roberta: TextArchitecture {
    public init() {}
    public var id: String { "roberta" }
    public var modelTypes: [String] { ["roberta"] }
    public var summary: String { "RoBERTa sentence encoders (sentence-transformers layout), native on zoo's kernels" }
    public var weightRoots: [String] { ["roberta."] }
    public var positions: PositionScheme { .afterPadding }
    public var defaultPadTokenID: Int { 1 }
}
