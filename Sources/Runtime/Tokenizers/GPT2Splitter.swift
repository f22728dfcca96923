/// The GPT-2 split that byte-level BPE tokenizers apply, as a scanner over UTF-8.
///
/// It finds the same pieces as the regular expression
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// (first alternative that matches at each position, each greedy), with the letter, number and
/// whitespace classes of ``UnicodeTables``.
enum GPT2Splitter {
    /// Character class of one scalar for the split.
    enum Kind: UInt8 {
        case letter
        case number
        case whitespace
        case other
    }

    private static let asciiKinds: [Kind] = (0..<128).map { byte in
        switch byte {
        case 65...90, 97...122: return .letter
        case 48...57: return .number
        case 9...13, 32: return .whitespace
        default: return .other
        }
    }

    @inline(__always)
    static func kind(_ value: UInt32) -> Kind {
        if value < 0x80 { return asciiKinds[Int(value)] }
        if UnicodeTables.letters.contains(value) { return .letter }
        if UnicodeTables.numbers.contains(value) { return .number }
        if UnicodeTables.whitespace.contains(value) { return .whitespace }
        return .other
    }

    @inline(__always)
    static func scalar(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> (kind: Kind, length: Int) {
        let byte = text[index]
        if byte < 0x80 { return (asciiKinds[Int(byte)], 1) }
        let (value, length) = UTF8Scalars.decode(text, at: index)
        return (kind(value), length)
    }

    /// Length of a contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) at `index`, or 0.
    @inline(__always)
    static func contractionLength(_ text: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        guard text[index] == UInt8(ascii: "'"), index + 1 < text.count else { return 0 }
        switch text[index + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return index + 2 < text.count && text[index + 2] == UInt8(ascii: "e") ? 3 : 0
        case UInt8(ascii: "l"):
            return index + 2 < text.count && text[index + 2] == UInt8(ascii: "l") ? 3 : 0
        default:
            return 0
        }
    }

    /// End of the run of scalars of `kind` that starts at `index`.
    @inline(__always)
    private static func runEnd(_ text: UnsafeBufferPointer<UInt8>, from index: Int, kind: Kind) -> Int {
        var end = index
        while end < text.count {
            let next = scalar(text, at: end)
            guard next.kind == kind else { break }
            end += next.length
        }
        return end
    }

    /// Calls `body` with each piece of `text`, in order.
    static func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var index = 0
        while index < text.count {
            let end = pieceEnd(text, from: index)
            body(UnsafeBufferPointer(rebasing: text[index..<end]))
            index = end
        }
    }

    /// End of the piece that starts at `start`.
    private static func pieceEnd(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let contraction = contractionLength(text, at: start)
        if contraction > 0 { return start + contraction }
        let first = scalar(text, at: start)
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
        var runStart = start
        var runKind = first.kind
        if text[start] == UInt8(ascii: " ") && start + 1 < text.count {
            let next = scalar(text, at: start + 1)
            if next.kind != .whitespace {
                runStart = start + 1
                runKind = next.kind
            }
        }
        if runKind != .whitespace {
            return runEnd(text, from: runStart, kind: runKind)
        }
        // `\s+(?!\S)` then `\s+`: a whitespace run, leaving its last scalar to start the next
        // piece when a non-space follows.
        var end = start
        var lastStart = start
        var scalars = 0
        while end < text.count {
            let next = scalar(text, at: end)
            guard next.kind == .whitespace else { break }
            lastStart = end
            end += next.length
            scalars += 1
        }
        if end == text.count || scalars < 2 { return end }
        return lastStart
    }
}
