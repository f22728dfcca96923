/// The model step of a tokenizer pipeline (Hugging Face `model`): turns one word into ids.
protocol TokenModel: Sendable {
    /// Appends the ids of `word` (UTF-8) to `ids`.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32])
    /// One more than the largest id the model can produce.
    var vocabularySize: Int { get }
}
