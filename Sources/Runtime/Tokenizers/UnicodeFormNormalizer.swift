import Foundation

/// Hugging Face's `NFC`, `NFD`, `NFKC` and `NFKD` normalizers, done by Foundation.
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
        let normalized: String
        switch form {
        case .nfc: normalized = string.precomposedStringWithCanonicalMapping
        case .nfd: normalized = string.decomposedStringWithCanonicalMapping
        case .nfkc: normalized = string.precomposedStringWithCompatibilityMapping
        case .nfkd: normalized = string.decomposedStringWithCompatibilityMapping
        }
        return Array(normalized.utf8)
    }
}
