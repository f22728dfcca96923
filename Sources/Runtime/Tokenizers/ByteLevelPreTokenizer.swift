/// Hugging Face's `ByteLevel` pre-tokenizer: an optional leading space, then the GPT-2 split.
///
/// The mapping of bytes to printable characters that `tokenizers` applies here is left to
/// ``BytePairModel``, which works on the raw bytes of each word.
struct ByteLevelPreTokenizer: PreTokenizer {
    /// Prepend a space when the text does not start with one.
    let addPrefixSpace: Bool
    /// Apply the GPT-2 split; when false the whole text is one word.
    let useRegex: Bool

    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard addPrefixSpace, text.first != UInt8(ascii: " ") else {
            splitPrepared(text, body)
            return
        }
        var prefixed: [UInt8] = [UInt8(ascii: " ")]
        prefixed.append(contentsOf: text)
        prefixed.withUnsafeBufferPointer { splitPrepared($0, body) }
    }

    private func splitPrepared(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if useRegex {
            GPT2Splitter.split(text, body)
        } else if !text.isEmpty {
            body(text)
        }
    }
}
