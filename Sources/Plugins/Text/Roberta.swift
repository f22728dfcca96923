import Runtime

/// RoBERTa (transformers' `RobertaModel` without its pooler): BERT's layers, with positions
/// numbered after the padding id, so its table holds `pad_token_id + 1` fewer tokens.
/// XLM-RoBERTa (`xlm-roberta`: `paraphrase-multilingual-mpnet-base-v2` and the like) shares the
/// layers; its SentencePiece Unigram tokenizer comes from tokenizer.json as for any model.
public struct Roberta: TextArchitecture {
    public init() {}
    public var id: String { "roberta" }
    public var modelTypes: [String] { ["roberta", "xlm-roberta"] }
    public var summary: String { "RoBERTa and XLM-RoBERTa sentence encoders (sentence-transformers layout), native on zoo's kernels" }
    public var weightRoots: [String] { ["roberta."] }
    public var positions: PositionScheme { .afterPadding }
    public var defaultPadTokenID: Int { 1 }
}
