/// The pre-tokenization step of a tokenizer pipeline (Hugging Face `pre_tokenizer`): splits
/// normalized text into words that the model tokenizes one by one.
protocol PreTokenizer: Sendable {
    /// Calls `body` with each word of `text` (UTF-8), in order.
    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void)
}
