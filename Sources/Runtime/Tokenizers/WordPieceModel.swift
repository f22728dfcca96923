/// Hugging Face's `WordPiece` model: greedy longest-match-first from the start of the word,
/// later pieces carrying the continuing-subword prefix (`##`); a word with a part that matches
/// nothing, or longer than `maxInputCharactersPerWord` scalars, becomes the unknown token.
struct WordPieceModel: TokenModel {
    private let trie: ByteTrie
    /// The trie node after the continuing-subword prefix, nil if no entry has the prefix.
    private let continuingNode: ByteTrie.Node?
    private let unknownId: Int32
    private let maxInputCharactersPerWord: Int
    let vocabularySize: Int

    /// A model over `vocabulary` (token, id pairs; a later duplicate wins).
    init(
        vocabulary: [(token: String, id: Int32)], unknownId: Int32, continuingSubwordPrefix: String,
        maxInputCharactersPerWord: Int
    ) {
        var trie = ByteTrie()
        var largest: Int32 = -1
        for entry in vocabulary {
            trie.insert(entry.token.utf8, id: entry.id)
            largest = max(largest, entry.id)
        }
        self.trie = trie
        self.continuingNode = trie.node(for: continuingSubwordPrefix.utf8)
        self.unknownId = unknownId
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.vocabularySize = Int(max(largest, unknownId)) + 1
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        if word.count > maxInputCharactersPerWord && UTF8Scalars.count(word) > maxInputCharactersPerWord {
            ids.append(unknownId)
            return
        }
        let checkpoint = ids.count
        var start = 0
        while start < word.count {
            let node: ByteTrie.Node
            if start == 0 {
                node = ByteTrie.root
            } else if let continuingNode {
                node = continuingNode
            } else {
                break
            }
            guard let match = trie.longestMatch(in: word, from: start, at: node) else { break }
            ids.append(match.id)
            start = match.end
        }
        if start < word.count {
            ids.removeSubrange(checkpoint...)
            ids.append(unknownId)
        }
    }
}
