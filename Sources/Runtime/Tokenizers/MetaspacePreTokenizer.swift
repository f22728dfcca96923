/// SentencePiece's word marking (Hugging Face `Metaspace`): every space becomes the replacement
/// character (`▁` by default), one is put before a text that does not start with one
/// (`prepend_scheme: "always"`, or the legacy `add_prefix_space: true`; never with `"never"`),
/// and with `split` each word is cut just before each replacement character, which starts it.
struct MetaspacePreTokenizer: PreTokenizer {
    /// The UTF-8 bytes of the replacement character.
    let replacement: [UInt8]
    /// Put a replacement character before a text that does not start with one.
    let prepend: Bool
    /// Cut before every replacement character (false: the whole text is one word).
    let split: Bool

    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard !text.isEmpty else { return }
        var marked: [UInt8] = []
        marked.reserveCapacity(text.count + 8)
        for byte in text {
            if byte == 0x20 { marked += replacement } else { marked.append(byte) }
        }
        if prepend && !marked.starts(with: replacement) { marked.insert(contentsOf: replacement, at: 0) }
        marked.withUnsafeBufferPointer { marked in
            guard split else {
                body(marked)
                return
            }
            var start = 0
            var index = 0
            let width = replacement.count
            while index < marked.count {
                if index > start, index + width <= marked.count, marked[index..<(index + width)].elementsEqual(replacement) {
                    body(UnsafeBufferPointer(rebasing: marked[start..<index]))
                    start = index
                    index += width
                    continue
                }
                index += 1
            }
            if start < marked.count { body(UnsafeBufferPointer(rebasing: marked[start..<marked.count])) }
        }
    }
}
