/// The UTF-8 byte-order mark, the one thing zoo strips from a text file: only at the very start
/// of a file (an `--input` file, a JSON Lines file, a WebDataset caption member, a class-name or
/// template list). Anywhere else U+FEFF is a character of the text and reaches the tokenizer.
public enum ByteOrderMark {
    /// EF BB BF.
    public static let utf8: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// `bytes` without a leading UTF-8 byte-order mark.
    public static func stripped<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        bytes.starts(with: utf8) ? bytes.dropFirst(utf8.count) : bytes[...]
    }
}
