import Foundation

/// Hugging Face's `BertNormalizer`: clean-up of control characters, spaces around CJK
/// ideographs, accent stripping and lowercasing, each optional, in that order.
///
/// Character classes come from ``UnicodeTables`` so they match `tokenizers` exactly; NFD comes
/// from Foundation and lowercasing from the standard library's full per-scalar mapping (the
/// same context-free mapping `tokenizers` applies).
struct BertNormalizer: TextNormalizer {
    /// Drop NUL, U+FFFD and control/format characters; turn whitespace into spaces.
    let cleanText: Bool
    /// Put spaces around CJK ideographs so each becomes a word.
    let handleChineseCharacters: Bool
    /// NFD, then drop nonspacing marks.
    let stripAccents: Bool
    /// Lowercase every scalar.
    let lowercase: Bool

    /// A normalizer with the given options; `stripAccents` nil means "same as `lowercase`", as in
    /// `tokenizers`.
    init(cleanText: Bool, handleChineseCharacters: Bool, stripAccents: Bool?, lowercase: Bool) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 8)
        var hasNonASCII = false
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte < 0x80 {
                index += 1
                if cleanText {
                    if byte == 0x09 || byte == 0x0A || byte == 0x0D {
                        output.append(0x20)
                        continue
                    }
                    if byte < 0x20 || byte == 0x7F { continue }
                }
                // ASCII is unchanged by NFD and has no marks, so lowercasing it now is the same
                // as lowercasing it after the accent step.
                let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                output.append(lowercase && isUpper ? byte + 32 : byte)
                continue
            }
            let (value, length) = UTF8Scalars.decode(text, at: index)
            index += length
            if cleanText {
                if UnicodeTables.cleanTextRemoved.contains(value) { continue }
                if UnicodeTables.cleanTextWhitespace.contains(value) {
                    output.append(0x20)
                    continue
                }
            }
            hasNonASCII = true
            if handleChineseCharacters && UnicodeTables.chineseCharacters.contains(value) {
                output.append(0x20)
                UTF8Scalars.append(value, to: &output)
                output.append(0x20)
            } else {
                UTF8Scalars.append(value, to: &output)
            }
        }
        guard hasNonASCII && (stripAccents || lowercase) else { return output }
        return normalizeNonASCII(output)
    }

    /// Accent stripping and lowercasing of text that has non-ASCII scalars.
    private func normalizeNonASCII(_ text: [UInt8]) -> [UInt8] {
        var string = String(decoding: text, as: UTF8.self)
        if stripAccents {
            string = string.decomposedStringWithCanonicalMapping
        }
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        for scalar in string.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                // Decomposition can produce ASCII (É is E + U+0301), so lowercase again.
                let byte = UInt8(value)
                let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                output.append(lowercase && isUpper ? byte + 32 : byte)
                continue
            }
            if stripAccents && UnicodeTables.nonspacingMarks.contains(value) { continue }
            if lowercase {
                for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                    UTF8Scalars.append(lowered.value, to: &output)
                }
            } else {
                UTF8Scalars.append(value, to: &output)
            }
        }
        return output
    }
}
