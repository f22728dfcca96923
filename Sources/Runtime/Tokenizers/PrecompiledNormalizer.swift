import Foundation

/// SentencePiece's normalization rules as Hugging Face `tokenizers` applies them (`Precompiled`):
/// the `precompiled_charsmap` of an `nmt_nfkc` (or other) SentencePiece model, read from its
/// base64 blob, not approximated by a Unicode normal form.
///
/// The blob is a little-endian u32 with the byte size of a darts-clone double-array trie, the
/// trie's u32 units, then NUL-terminated replacement strings the trie's values point into. Text
/// is rewritten one extended grapheme cluster at a time: a cluster shorter than 6 bytes whose
/// bytes start with a trie key is replaced whole by that key's replacement (the shortest key, as
/// SentencePiece's `transform` takes the first match); otherwise each of its scalars is replaced
/// by its own key's replacement, or kept.
struct PrecompiledNormalizer: TextNormalizer {
    private let units: [UInt32]
    private let replacements: [UInt8]

    /// Reads the charsmap; `file` names tokenizer.json in errors.
    ///
    /// - Throws: ``TokenizerError/invalidContent(file:reason:)`` for a blob that is not base64 or
    ///   whose sizes do not add up.
    init(base64: String, file: String) throws(TokenizerError) {
        guard let data = Data(base64Encoded: base64) else {
            throw .invalidContent(file: file, reason: "normalizer.precompiled_charsmap is not base64")
        }
        try self.init(charsmap: [UInt8](data), file: file, field: "normalizer.precompiled_charsmap")
    }

    /// Reads a charsmap's bytes (`normalizer_spec.precompiled_charsmap` of a SentencePiece model
    /// file); `field` names it in errors.
    init(charsmap bytes: [UInt8], file: String, field: String) throws(TokenizerError) {
        guard bytes.count >= 4 else {
            throw .invalidContent(file: file, reason: "\(field) holds \(bytes.count) bytes, fewer than its 4-byte header")
        }
        let trieBytes = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= bytes.count else {
            throw .invalidContent(file: file, reason: "\(field) declares a trie of \(trieBytes) bytes in a blob of \(bytes.count)")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for index in units.indices {
            let at = 4 + 4 * index
            units[index] = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        self.units = units
        self.replacements = Array(bytes[(4 + trieBytes)...])
    }

    /// SentencePiece's own rule (`Normalizer::NormalizePrefix`): the longest trie key that
    /// starts `text` at `start`, with the number of bytes it covers and its replacement; nil
    /// when no key does.
    func longestPrefix(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> (length: Int, replacement: ArraySlice<UInt8>)? {
        guard let first = units.first else { return nil }
        var position = Int(Self.offset(first))
        var found: (length: Int, value: Int)?
        var index = start
        while index < text.count {
            let byte = text[index]
            guard byte != 0 else { break }
            position ^= Int(byte)
            guard position >= 0, position < units.count else { break }
            let unit = units[position]
            guard unit & (1 << 31 | 0xFF) == UInt32(byte) else { break }
            position ^= Int(Self.offset(unit))
            if (unit >> 8) & 1 == 1 {
                guard position >= 0, position < units.count else { break }
                found = (index + 1 - start, Int(units[position] & 0x7FFF_FFFF))
            }
            index += 1
        }
        guard let found, found.value < replacements.count else { return nil }
        var end = found.value
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return (found.length, replacements[found.value..<end])
    }

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        let string = String(decoding: text, as: UTF8.self)
        for cluster in string {
            let bytes = Array(cluster.utf8)
            if bytes.count < 6, let replacement = transform(bytes) {
                output += replacement
                continue
            }
            for scalar in cluster.unicodeScalars {
                let piece = Array(String(scalar).utf8)
                if let replacement = transform(piece) {
                    output += replacement
                } else {
                    output += piece
                }
            }
        }
        return output
    }

    /// The replacement of the shortest trie key that starts `key`, or nil.
    private func transform(_ key: [UInt8]) -> ArraySlice<UInt8>? {
        guard let offset = firstPrefixValue(key), offset < replacements.count else { return nil }
        var end = offset
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return replacements[offset..<end]
    }

    /// darts-clone's common-prefix search, stopped at the first (shortest) key.
    private func firstPrefixValue(_ key: [UInt8]) -> Int? {
        guard let first = units.first else { return nil }
        var position = Int(Self.offset(first))
        for byte in key {
            guard byte != 0 else { return nil }
            position ^= Int(byte)
            guard position >= 0, position < units.count else { return nil }
            let unit = units[position]
            guard unit & (1 << 31 | 0xFF) == UInt32(byte) else { return nil }
            position ^= Int(Self.offset(unit))
            if (unit >> 8) & 1 == 1 {
                guard position >= 0, position < units.count else { return nil }
                return Int(units[position] & 0x7FFF_FFFF)
            }
        }
        return nil
    }

    private static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }
}
