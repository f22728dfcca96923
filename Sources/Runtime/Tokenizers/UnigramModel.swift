/// SentencePiece's Unigram model as Hugging Face `tokenizers` runs it: the segmentation of a
/// word into vocabulary pieces with the highest total score (Viterbi over every piece that
/// starts at every character). A character no piece covers costs the lowest score minus 10 and
/// becomes the unknown piece; consecutive unknown characters are fused into one. With
/// `byte_fallback`, a piece that is not in the vocabulary is written as its UTF-8 bytes'
/// `<0xXX>` pieces when all of them exist, else as the unknown id.
struct UnigramModel: TokenModel {
    /// The score of each id.
    private let scores: [Double]
    private let trie: ByteTrie
    private let unknownId: Int32
    private let unknownScore: Double
    private let byteFallback: Bool
    /// The id of `<0xXX>` for each byte, or -1.
    private let byteIds: [Int32]

    let vocabularySize: Int

    /// A model over `pieces` (id = position), with `unknownId` for uncovered characters.
    ///
    /// SentencePiece itself (a model file rather than tokenizer.json) matches only its normal
    /// and user-defined pieces and takes the lowest score among the normal ones: `matchable`
    /// (one flag per piece) and `lowestScore` say so; nil means every piece, and the lowest of all.
    init(
        pieces: [(piece: String, score: Double)], unknownId: Int32, byteFallback: Bool,
        matchable: [Bool]? = nil, lowestScore: Double? = nil
    ) {
        var trie = ByteTrie()
        var index: [String: Int32] = [:]
        for (id, entry) in pieces.enumerated() {
            if matchable?[id] ?? true { trie.insert(Array(entry.piece.utf8), id: Int32(id)) }
            if index[entry.piece] == nil { index[entry.piece] = Int32(id) }
        }
        self.trie = trie
        self.scores = pieces.map(\.score)
        self.unknownId = unknownId
        self.unknownScore = (lowestScore ?? pieces.map(\.score).min() ?? 0) - 10
        self.byteFallback = byteFallback
        self.byteIds = (0..<256).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return index["<0x\(hex.count == 1 ? "0" + hex : hex)>"] ?? -1
        }
        self.vocabularySize = pieces.count
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        let size = word.count
        guard size > 0 else { return }
        // best[end]: the best path's score up to byte `end`, where its last piece starts, its id.
        var score = [Double](repeating: 0, count: size + 1)
        var from = [Int](repeating: -1, count: size + 1)
        var piece = [Int32](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let width = Self.scalarWidth(word[start])
            let base = score[start]
            var coversCharacter = false
            trie.forEachPrefix(in: word, from: start) { id, end in
                let candidate = base + scores[Int(id)]
                if from[end] < 0 || candidate > score[end] {
                    score[end] = candidate
                    from[end] = start
                    piece[end] = id
                }
                if end - start == width { coversCharacter = true }
            }
            let end = min(start + width, size)
            if !coversCharacter {
                let candidate = base + unknownScore
                if from[end] < 0 || candidate > score[end] {
                    score[end] = candidate
                    from[end] = start
                    piece[end] = unknownId
                }
            }
            start = end
        }
        // Back from the end: pieces in reverse, unknown runs fused.
        var pieces: [(range: Range<Int>, id: Int32)] = []
        var end = size
        while end > 0 {
            let begin = from[end]
            if piece[end] == unknownId, let last = pieces.last, last.id == unknownId, last.range.lowerBound == end {
                pieces[pieces.count - 1] = (begin..<last.range.upperBound, unknownId)
            } else {
                pieces.append((begin..<end, piece[end]))
            }
            end = begin
        }
        for (range, id) in pieces.reversed() {
            if id == unknownId && byteFallback {
                let bytes = word[range]
                if bytes.allSatisfy({ byteIds[Int($0)] >= 0 }) {
                    for byte in bytes { ids.append(byteIds[Int(byte)]) }
                    continue
                }
            }
            ids.append(id)
        }
    }

    /// Bytes of the UTF-8 scalar that starts with `lead` (1 for a stray continuation byte).
    private static func scalarWidth(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...0xF7: return 4
        case 0xE0...0xEF: return 3
        case 0xC0...0xDF: return 2
        default: return 1
        }
    }
}
