/// Hugging Face's `BertPreTokenizer`: splits on whitespace (dropped) and makes every
/// punctuation character a word of its own.
struct BertPreTokenizer: PreTokenizer {
    private enum Kind: UInt8 {
        case word
        case whitespace
        case punctuation
    }

    /// Kind of each ASCII byte: whitespace is 9–13 and space, punctuation is 33–47, 58–64,
    /// 91–96 and 123–126.
    private static let asciiKinds: [Kind] = (0..<128).map { byte in
        switch byte {
        case 9...13, 32: return .whitespace
        case 33...47, 58...64, 91...96, 123...126: return .punctuation
        default: return .word
        }
    }

    private static func kind(_ value: UInt32) -> Kind {
        if value < 0x80 { return asciiKinds[Int(value)] }
        if UnicodeTables.whitespace.contains(value) { return .whitespace }
        if UnicodeTables.bertPunctuation.contains(value) { return .punctuation }
        return .word
    }

    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var wordStart = -1
        var index = 0
        while index < text.count {
            let byte = text[index]
            let value: UInt32
            let length: Int
            if byte < 0x80 {
                value = UInt32(byte)
                length = 1
            } else {
                (value, length) = UTF8Scalars.decode(text, at: index)
            }
            switch Self.kind(value) {
            case .word:
                if wordStart < 0 { wordStart = index }
            case .whitespace:
                if wordStart >= 0 {
                    body(UnsafeBufferPointer(rebasing: text[wordStart..<index]))
                    wordStart = -1
                }
            case .punctuation:
                if wordStart >= 0 {
                    body(UnsafeBufferPointer(rebasing: text[wordStart..<index]))
                    wordStart = -1
                }
                body(UnsafeBufferPointer(rebasing: text[index..<index + length]))
            }
            index += length
        }
        if wordStart >= 0 {
            body(UnsafeBufferPointer(rebasing: text[wordStart..<text.count]))
        }
    }
}
