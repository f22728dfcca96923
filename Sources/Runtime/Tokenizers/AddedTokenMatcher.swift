/// Finds added tokens in text as `tokenizers` does: leftmost, then longest match; a
/// single-word token is skipped when a word character touches it; left/right strip extend the
/// match over adjacent whitespace.
struct AddedTokenMatcher: Sendable {
    /// A part of the text: plain text (a byte range) or an added token.
    enum Segment {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Pattern: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }

    private let patterns: [Pattern]
    /// Indexes into `patterns` of the patterns starting with each byte.
    private let patternsByFirstByte: [[Int]]

    /// A matcher for `tokens`, each matched by the matching element of `contents`.
    init(tokens: [AddedToken], contents: [[UInt8]]) {
        var patterns: [Pattern] = []
        var byFirstByte = [[Int]](repeating: [], count: 256)
        for (token, bytes) in zip(tokens, contents) where !bytes.isEmpty {
            byFirstByte[Int(bytes[0])].append(patterns.count)
            patterns.append(Pattern(bytes: bytes, token: token))
        }
        self.patterns = patterns
        self.patternsByFirstByte = byFirstByte
    }

    /// Whether there is nothing to match.
    var isEmpty: Bool { patterns.isEmpty }

    /// Calls `body` with the segments of `text` in order.
    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Segment) -> Void) {
        var segmentStart = 0
        var position = 0
        while let match = nextMatch(in: text, from: position) {
            position = match.end
            let token = patterns[match.pattern].token
            if token.singleWord {
                let wordBefore = match.start > 0 && Self.isWordCharacter(before: match.start, in: text)
                let wordAfter = match.end < text.count && Self.isWordCharacter(at: match.end, in: text)
                if wordBefore || wordAfter { continue }
            }
            var start = match.start
            var stop = match.end
            if token.leftStrip {
                start = max(Self.whitespaceStart(before: start, in: text), segmentStart)
            }
            if token.rightStrip {
                stop = Self.whitespaceEnd(from: stop, in: text)
            }
            if start > segmentStart {
                body(.text(segmentStart..<start))
            }
            body(.token(token.id))
            segmentStart = stop
        }
        if segmentStart < text.count {
            body(.text(segmentStart..<text.count))
        }
    }

    /// The leftmost match at or after `position`, the longest one there.
    private func nextMatch(
        in text: UnsafeBufferPointer<UInt8>, from position: Int
    ) -> (start: Int, end: Int, pattern: Int)? {
        guard !patterns.isEmpty else { return nil }
        var start = position
        while start < text.count {
            var best: (end: Int, pattern: Int)?
            for index in patternsByFirstByte[Int(text[start])] {
                let bytes = patterns[index].bytes
                let end = start + bytes.count
                guard end <= text.count, end > best?.end ?? start else { continue }
                var matches = true
                for offset in 1..<bytes.count where text[start + offset] != bytes[offset] {
                    matches = false
                    break
                }
                if matches { best = (end, index) }
            }
            if let best { return (start, best.end, best.pattern) }
            start += 1
        }
        return nil
    }

    /// `\w` of Rust's regex crate: alphabetic, marks, decimal digits, connector punctuation and
    /// join controls.
    private static func isWordCharacter(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }

    private static func isWordCharacter(at index: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        isWordCharacter(UTF8Scalars.decode(text, at: index).value)
    }

    private static func isWordCharacter(before index: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        isWordCharacter(at: UTF8Scalars.start(before: index, in: text), in: text)
    }

    /// Start of the whitespace run that ends at `end`.
    private static func whitespaceStart(before end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end
        while start > 0 {
            let previous = UTF8Scalars.start(before: start, in: text)
            guard UnicodeTables.whitespace.contains(UTF8Scalars.decode(text, at: previous).value) else { break }
            start = previous
        }
        return start
    }

    /// End of the whitespace run that starts at `start`.
    private static func whitespaceEnd(from start: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var end = start
        while end < text.count {
            let (value, length) = UTF8Scalars.decode(text, at: end)
            guard UnicodeTables.whitespace.contains(value) else { break }
            end += length
        }
        return end
    }
}
