import Foundation

/// Hugging Face's `NFC`, `NFD`, `NFKC` and `NFKD` normalizers, done by Foundation with the
/// combining classes `tokenizers` has.
///
/// `tokenizers` normalizes with older Unicode data than Swift's: a mark added to Unicode since
/// (U+1AC1 … U+1ACE, say) has class 0 there, so it is a starter that nothing is reordered
/// across. The text is therefore cut at every scalar that Swift gives a nonzero combining class
/// and ``UnicodeTables/combiningMarks`` does not; the pieces are normalized one by one and the
/// cut scalars kept where they were (no composition can involve them in the older data either).
///
/// Starters beyond the Basic Multilingual Plane are cut out too, but for the ten that begin a
/// canonical composition: swift-corelibs-foundation composes such a scalar with a following mark
/// as if it were the scalar of its low 16 bits (U+10069 + U+0311 became U+020B). None of them
/// composes with what follows, so each is normalized alone.
struct UnicodeFormNormalizer: TextNormalizer {
    /// A Unicode normalization form.
    enum Form: String, Sendable {
        case nfc = "NFC"
        case nfd = "NFD"
        case nfkc = "NFKC"
        case nfkd = "NFKD"
    }

    /// The form produced.
    let form: Form

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        // ASCII is in every normalization form already.
        if !text.contains(where: { $0 >= 0x80 }) { return Array(text) }
        let string = String(decoding: text, as: UTF8.self)
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var piece = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            let unknownMark = scalar.properties.canonicalCombiningClass != .notReordered
                && !UnicodeTables.combiningMarks.contains(scalar.value)
            let lonelySupplementary = scalar.value > 0xFFFF
                && scalar.properties.canonicalCombiningClass == .notReordered
                && !Self.supplementaryCompositionStarters.contains(scalar.value)
            guard unknownMark || lonelySupplementary else {
                piece.append(scalar)
                continue
            }
            output += normalized(String(piece)).utf8
            piece.removeAll()
            // An unknown mark is unassigned in tokenizers' data, so it stays; a supplementary
            // starter is normalized alone (NFKC maps U+1D518 to U).
            output += (unknownMark ? String(scalar) : normalized(String(scalar))).utf8
        }
        output += normalized(String(piece)).utf8
        return output
    }

    /// The scalars beyond U+FFFF that begin a canonical composition (Kaithi, Chakma, Grantha,
    /// Tirhuta, Siddham and Dives Akuru vowel signs).
    static let supplementaryCompositionStarters: Set<UInt32> = [
        0x11099, 0x1109B, 0x110A5, 0x11131, 0x11132, 0x11347, 0x114B9, 0x115B8, 0x115B9, 0x11935,
    ]

    /// `string` in ``form``, by Foundation.
    private func normalized(_ string: String) -> String {
        guard !string.isEmpty else { return string }
        switch form {
        case .nfc: return string.precomposedStringWithCanonicalMapping
        case .nfd: return string.decomposedStringWithCanonicalMapping
        case .nfkc: return string.precomposedStringWithCompatibilityMapping
        case .nfkd: return string.decomposedStringWithCompatibilityMapping
        }
    }
}
