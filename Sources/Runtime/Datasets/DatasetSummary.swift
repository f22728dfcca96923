import Crypto

/// What a full pass over a dataset found: how many items, and a digest of their ids that changes
/// when samples are added, removed, renamed or reordered.
public struct DatasetSummary: Sendable, Equatable, Codable {
    /// The number of items.
    public var count: Int
    /// The SHA-256, in lowercase hexadecimal, of the item ids joined by `"\n"` (no final newline).
    public var idsDigest: String
    /// The bad samples skipped (with ``DatasetSpec/skipBad``).
    public var skipped: Int

    /// Creates a summary.
    public init(count: Int, idsDigest: String, skipped: Int = 0) {
        self.count = count
        self.idsDigest = idsDigest
        self.skipped = skipped
    }

    /// Iterates `reader` once, holding one item at a time.
    public static func summarize(_ reader: any DatasetReader) throws(DatasetError) -> DatasetSummary {
        let iterator = try reader.makeIterator()
        var hash = SHA256()
        var count = 0
        while let item = try iterator.next() {
            if count > 0 { hash.update(data: [UInt8(ascii: "\n")]) }
            hash.update(data: Array(item.id.utf8))
            count += 1
        }
        let digits = Array("0123456789abcdef".utf8)
        let digest = String(decoding: hash.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
        return DatasetSummary(count: count, idsDigest: digest, skipped: iterator.skippedCount)
    }
}
