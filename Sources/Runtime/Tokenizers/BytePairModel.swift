/// Hugging Face's `BPE` model behind a `ByteLevel` pre-tokenizer: each byte of a word starts as
/// the token of its GPT-2 character, then the adjacent pair with the lowest merge rank (the
/// leftmost among equals) is merged until no pair has a merge.
struct BytePairModel: TokenModel {
    /// What a merge of two adjacent tokens gives.
    struct Merge: Sendable {
        /// Position in the merge list; lower merges first.
        let rank: Int32
        /// The merged token.
        let id: Int32
    }

    /// The token of each byte's character (-1 when the vocabulary lacks it).
    private let byteIds: [Int32]
    /// With an end-of-word suffix (CLIP's `</w>`), the token of each byte's character plus the
    /// suffix, which a word's last byte starts as (-1 when the vocabulary lacks it); nil without.
    private let wordEndByteIds: [Int32]?
    /// Merges keyed by `left << 32 | right`.
    private let merges: [UInt64: Merge]
    /// Token for a byte missing from the vocabulary; without one such bytes are dropped.
    private let unknownId: Int32?
    /// Whether consecutive unknown bytes give one unknown token.
    private let fuseUnknown: Bool
    private let cache: BytePairCache
    let vocabularySize: Int

    /// A model with `byteIds` (256 entries) and `merges` (`left << 32 | right` to merge).
    init(
        byteIds: [Int32], wordEndByteIds: [Int32]? = nil, merges: [UInt64: Merge], unknownId: Int32?,
        fuseUnknown: Bool, vocabularySize: Int
    ) {
        precondition(byteIds.count == 256 && (wordEndByteIds?.count ?? 256) == 256, "one id per byte")
        self.byteIds = byteIds
        self.wordEndByteIds = wordEndByteIds
        self.merges = merges
        self.unknownId = unknownId
        self.fuseUnknown = fuseUnknown
        self.cache = BytePairCache(capacity: 10_000)
        self.vocabularySize = vocabularySize
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        if word.isEmpty { return }
        if word.count == 1 {
            appendInitial(word, to: &ids)
            return
        }
        let hash = BytePairCache.hash(word)
        if cache.append(word, hash: hash, to: &ids) { return }
        let start = ids.count
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: word.count) { symbols in
            var count = 0
            let last = word.count - 1
            for (index, byte) in word.enumerated() {
                let id = index == last ? initialId(byte, wordEnd: true) : byteIds[Int(byte)]
                if id >= 0 {
                    symbols[count] = id
                    count += 1
                } else if let unknownId {
                    if !(fuseUnknown && count > 0 && symbols[count - 1] == unknownId) {
                        symbols[count] = unknownId
                        count += 1
                    }
                }
            }
            count = merge(symbols, count: count)
            for index in 0..<count {
                ids.append(symbols[index])
            }
        }
        cache.insert(word, hash: hash, ids: ids[start...])
    }

    /// The token a byte starts as: its character's, or at a word's end the suffixed one.
    @inline(__always)
    private func initialId(_ byte: UInt8, wordEnd: Bool) -> Int32 {
        if wordEnd, let wordEndByteIds { return wordEndByteIds[Int(byte)] }
        return byteIds[Int(byte)]
    }

    private func appendInitial(_ word: UnsafeBufferPointer<UInt8>, to ids: inout [Int32]) {
        let id = initialId(word[0], wordEnd: true)
        if id >= 0 {
            ids.append(id)
        } else if let unknownId {
            ids.append(unknownId)
        }
    }

    /// Applies the merges to the first `count` symbols in place; returns the new count.
    private func merge(_ symbols: UnsafeMutableBufferPointer<Int32>, count initialCount: Int) -> Int {
        var count = initialCount
        guard count > 1 else { return count }
        return withUnsafeTemporaryAllocation(of: Merge.self, capacity: count - 1) { pairs in
            let none = Merge(rank: .max, id: -1)
            func pair(_ index: Int) -> Merge {
                merges[Self.key(symbols[index], symbols[index + 1])] ?? none
            }
            for index in 0..<count - 1 {
                pairs[index] = pair(index)
            }
            while count > 1 {
                var best = 0
                for index in 1..<count - 1 where pairs[index].rank < pairs[best].rank {
                    best = index
                }
                let chosen = pairs[best]
                if chosen.rank == .max { break }
                symbols[best] = chosen.id
                for index in best + 1..<count - 1 {
                    symbols[index] = symbols[index + 1]
                }
                for index in best + 1..<max(best + 1, count - 2) {
                    pairs[index] = pairs[index + 1]
                }
                count -= 1
                if best > 0 { pairs[best - 1] = pair(best - 1) }
                if best < count - 1 { pairs[best] = pair(best) }
            }
            return count
        }
    }
}
