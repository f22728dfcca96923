/// SentencePiece's own normalizer (`Normalizer::Normalize` of a model file's `normalizer_spec`):
/// the longest charsmap rule at each place (``PrecompiledNormalizer/longestPrefix(_:from:)``),
/// leading, trailing and repeated spaces dropped (`remove_extra_whitespaces`), `▁` before the
/// text (`add_dummy_prefix`) and for every space (`escape_whitespaces`).
struct SentencePieceNormalizer: TextNormalizer {
    /// The charsmap, nil for `identity` (no rules).
    let rules: PrecompiledNormalizer?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool

    private static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 8)
        var index = 0
        // The replacement of the longest rule at `index`, or the character there.
        func prefix() -> (piece: ArraySlice<UInt8>, consumed: Int) {
            if let rules, let found = rules.longestPrefix(text, from: index) { return (found.replacement, found.length) }
            let width = min(Self.scalarWidth(text[index]), text.count - index)
            return (ArraySlice(text[index..<(index + width)]), width)
        }
        if removeExtraWhitespaces {
            while index < text.count {
                let (piece, consumed) = prefix()
                guard piece.elementsEqual([0x20]) else { break }
                index += consumed
            }
        }
        guard index < text.count else { return [] }
        if addDummyPrefix { output += escapeWhitespaces ? Self.spaceSymbol : [0x20] }
        var previousIsSpace = removeExtraWhitespaces
        while index < text.count {
            var (piece, consumed) = prefix()
            if previousIsSpace {
                while piece.first == 0x20 { piece = piece.dropFirst() }
            }
            if !piece.isEmpty {
                for byte in piece {
                    if escapeWhitespaces && byte == 0x20 { output += Self.spaceSymbol } else { output.append(byte) }
                }
                previousIsSpace = piece.last == 0x20
            }
            index += consumed
        }
        if removeExtraWhitespaces {
            let space = escapeWhitespaces ? Self.spaceSymbol : [0x20]
            while output.count >= space.count, output.suffix(space.count).elementsEqual(space) {
                output.removeLast(space.count)
            }
        }
        return output
    }

    /// Bytes of the UTF-8 scalar that starts with `lead`.
    private static func scalarWidth(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }
}
