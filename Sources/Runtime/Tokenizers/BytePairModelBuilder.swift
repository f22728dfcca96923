/// Builds a ``BytePairModel`` from a byte-level vocabulary and merge list.
enum BytePairModelBuilder {
    /// A model over `vocabulary` (tokens written with ``ByteToUnicode``) and `merges` in rank
    /// order, a word's last character carrying `endOfWordSuffix` (CLIP's `</w>`; empty for
    /// none); `file` is named in errors.
    static func make(
        vocabulary: Vocabulary, merges: [(left: String, right: String)], unknownToken: String?,
        fuseUnknown: Bool, endOfWordSuffix: String = "", file: String
    ) throws(TokenizerError) -> BytePairModel {
        let byteIds: [Int32] = ByteToUnicode.characters.map { vocabulary.id(of: String($0)) ?? -1 }
        let wordEndByteIds: [Int32]? = endOfWordSuffix.isEmpty
            ? nil : ByteToUnicode.characters.map { vocabulary.id(of: String($0) + endOfWordSuffix) ?? -1 }
        var table: [UInt64: BytePairModel.Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = vocabulary.id(of: merge.left), let right = vocabulary.id(of: merge.right),
                let merged = vocabulary.id(of: merge.left + merge.right)
            else {
                throw .invalidContent(
                    file: file, reason: "merge \(rank) (\(merge.left) \(merge.right)) uses a token not in the vocabulary")
            }
            let key = BytePairModel.key(left, right)
            if table[key] == nil {
                table[key] = BytePairModel.Merge(rank: Int32(rank), id: merged)
            }
        }
        var unknownId: Int32?
        if let unknownToken {
            guard let id = vocabulary.id(of: unknownToken) else {
                throw .missingSpecialToken(file: file, token: unknownToken)
            }
            unknownId = id
        }
        return BytePairModel(
            byteIds: byteIds, wordEndByteIds: wordEndByteIds, merges: table, unknownId: unknownId, fuseUnknown: fuseUnknown,
            vocabularySize: vocabulary.size)
    }

    /// Splits a merge written as `"left right"` (at the scalar level, so a token starting with
    /// a combining mark stays whole).
    static func parseMerge(_ line: String) -> (left: String, right: String)? {
        let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(String.UnicodeScalarView(parts[0])), String(String.UnicodeScalarView(parts[1])))
    }
}
