/// A tokenizer that turns text into the token ids a Hugging Face encoder expects, with the same
/// ids as the Python `tokenizers` library for the same tokenizer files.
///
/// Load one with ``TokenizerLoader/load(folder:maxLength:)``.
public protocol TextTokenizer: Sendable {
    /// Id used for padding in ``encodeBatch(_:)``.
    var padId: Int32 { get }
    /// One more than the largest token id (the size of the model's embedding table).
    var vocabularySize: Int { get }
    /// Longest sequence ``encode(_:)`` returns, special tokens included.
    var maxLength: Int { get }

    /// Ids of `text` with the special tokens (`[CLS] … [SEP]`, `<s> … </s>`), truncated to
    /// ``maxLength``: the first tokens of the text are kept, then the closing special token.
    func encode(_ text: String) -> [Int32]

    /// Ids of `text` with the special tokens, however long.
    func encodeWithoutTruncation(_ text: String) -> [Int32]

    /// Ids of each text as ``encode(_:)`` gives them, right-padded with ``padId`` to the longest
    /// one, with the attention mask and the length of each.
    func encodeBatch(_ texts: [String]) -> TokenBatch
}

extension TextTokenizer {
    /// Encodes each text with ``encode(_:)`` and pads them on the right with ``padId`` to the
    /// longest one.
    public func encodeBatch(_ texts: [String]) -> TokenBatch {
        TokenBatch(sequences: texts.map { encode($0) }, padId: padId)
    }
}
