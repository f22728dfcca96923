/// The normalization step of a tokenizer pipeline (Hugging Face `normalizer`): rewrites the
/// text before it is split into words.
protocol TextNormalizer: Sendable {
    /// The normalized form of `text`, both UTF-8.
    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]
}

extension TextNormalizer {
    /// The normalized form of `text`.
    func normalize(_ text: [UInt8]) -> [UInt8] {
        text.withUnsafeBufferPointer { normalize($0) }
    }
}
