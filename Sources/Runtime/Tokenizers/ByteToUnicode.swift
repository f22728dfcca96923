/// The GPT-2 table that gives every byte a printable character, so byte-level vocabularies can
/// be written as text: printable Latin-1 bytes stand for themselves, the other 68 bytes take
/// the characters from U+0100 on, in byte order.
enum ByteToUnicode {
    /// Whether `byte` is printable and stands for itself.
    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The character of each byte, indexed by byte.
    static let characters: [Character] = {
        var next: UInt32 = 0x100
        return (0..<256).map { byte in
            if isPrintable(byte) {
                return Character(Unicode.Scalar(UInt8(byte)))
            }
            defer { next += 1 }
            return Character(Unicode.Scalar(next)!)
        }
    }()
}
