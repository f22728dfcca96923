/// Hugging Face's `Split` pre-tokenizer: finds the pattern's matches, optionally takes the parts
/// between them as the matches instead (`invert`), and keeps the pieces as its behaviour says.
///
/// Patterns are a literal string, or one of the regular expressions in ``SplitPattern`` (zoo has
/// no general regular-expression engine; any other expression is refused when the tokenizer
/// loads). Behaviours are `Removed` (matches dropped) and `Isolated` (every piece on its own).
struct SplitPreTokenizer: PreTokenizer {
    /// What happens to the matched pieces.
    enum Behavior: String, Sendable {
        /// Matches are dropped; the text between them is kept.
        case removed = "Removed"
        /// Matches and the text between them are all kept, each as its own piece.
        case isolated = "Isolated"
    }

    let pattern: SplitPattern
    let behavior: Behavior
    /// Whether the text between matches counts as the match.
    let invert: Bool

    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        func emit(_ range: Range<Int>, matched: Bool) {
            guard !range.isEmpty else { return }
            if behavior == .removed && matched != invert { return }
            body(UnsafeBufferPointer(rebasing: text[range]))
        }
        pattern.forEachMatch(in: text) { match in
            emit(start..<match.lowerBound, matched: false)
            emit(match, matched: true)
            start = match.upperBound
        }
        emit(start..<text.count, matched: false)
    }
}

/// The patterns a ``SplitPreTokenizer`` matches.
enum SplitPattern: Sendable, Equatable {
    /// Every occurrence of the bytes, left to right, not overlapping.
    case literal([UInt8])
    /// CLIP's expression
    /// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
    /// (with or without its first two alternatives), as a scanner with ``GPT2Splitter``'s
    /// letter, number and whitespace classes: at each place the first alternative that matches,
    /// letter runs and runs of other non-space characters greedy, digits one at a time.
    case clipWords(specialTokens: Bool)

    /// CLIP's expression as `tokenizers` stores it, with the special-token alternatives.
    static let clipExpression = #"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"#
    /// CLIP's expression as older converters wrote it, without them.
    static let clipExpressionWithoutSpecials = #"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"#

    /// The pattern of a `Regex` field, nil for an expression zoo does not run.
    init?(expression: String) {
        switch expression {
        case Self.clipExpression: self = .clipWords(specialTokens: true)
        case Self.clipExpressionWithoutSpecials: self = .clipWords(specialTokens: false)
        default: return nil
        }
    }

    /// Calls `body` with each match's byte range, in order.
    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .literal(let bytes):
            guard !bytes.isEmpty, bytes.count <= text.count else { return }
            var index = 0
            while index + bytes.count <= text.count {
                if text[index] == bytes[0], (1..<bytes.count).allSatisfy({ text[index + $0] == bytes[$0] }) {
                    body(index..<index + bytes.count)
                    index += bytes.count
                } else {
                    index += 1
                }
            }
        case .clipWords(let specialTokens):
            var index = 0
            while index < text.count {
                if let end = Self.clipMatchEnd(text, at: index, specialTokens: specialTokens) {
                    body(index..<end)
                    index = end
                } else {
                    index += GPT2Splitter.scalar(text, at: index).length
                }
            }
        }
    }

    private static let startOfText = Array("<|startoftext|>".utf8)
    private static let endOfText = Array("<|endoftext|>".utf8)

    /// The end of CLIP's match at `index`, nil where none starts (a whitespace character).
    private static func clipMatchEnd(_ text: UnsafeBufferPointer<UInt8>, at index: Int, specialTokens: Bool) -> Int? {
        if specialTokens {
            for literal in [startOfText, endOfText] where text.count - index >= literal.count {
                if literal.indices.allSatisfy({ text[index + $0] == literal[$0] }) { return index + literal.count }
            }
        }
        let contraction = GPT2Splitter.contractionLength(text, at: index)
        if contraction > 0 { return index + contraction }
        let first = GPT2Splitter.scalar(text, at: index)
        switch first.kind {
        case .whitespace:
            return nil
        case .number:
            return index + first.length
        case .letter, .other:
            var end = index + first.length
            while end < text.count {
                let next = GPT2Splitter.scalar(text, at: end)
                guard next.kind == first.kind else { break }
                end += next.length
            }
            return end
        }
    }
}
