/// Hugging Face's `Replace` normalizer: every match of its pattern, left to right and not
/// overlapping, becomes `content`.
///
/// The pattern is a literal string or the expression `\s+` (a run of whitespace, with
/// ``GPT2Splitter``'s whitespace class), which CLIP's tokenizer uses; any other expression is
/// refused when the tokenizer loads.
struct ReplaceNormalizer: TextNormalizer {
    /// What the normalizer looks for.
    enum Pattern: Sendable, Equatable {
        /// These bytes.
        case literal([UInt8])
        /// `\s+`.
        case whitespaceRun
    }

    let pattern: Pattern
    let content: [UInt8]

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = 0
        switch pattern {
        case .literal(let bytes):
            guard !bytes.isEmpty else { return Array(text) }
            while index < text.count {
                if index + bytes.count <= text.count, text[index] == bytes[0],
                   (1..<bytes.count).allSatisfy({ text[index + $0] == bytes[$0] }) {
                    output += content
                    index += bytes.count
                } else {
                    output.append(text[index])
                    index += 1
                }
            }
        case .whitespaceRun:
            while index < text.count {
                let scalar = GPT2Splitter.scalar(text, at: index)
                guard scalar.kind == .whitespace else {
                    output += text[index..<index + scalar.length]
                    index += scalar.length
                    continue
                }
                index += scalar.length
                while index < text.count {
                    let next = GPT2Splitter.scalar(text, at: index)
                    guard next.kind == .whitespace else { break }
                    index += next.length
                }
                output += content
            }
        }
        return output
    }
}
