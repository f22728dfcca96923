/// Builds the model that tokenizer.json's `model` describes.
enum ModelFactory {
    /// A model and the vocabulary it was built from.
    typealias Built = (model: any TokenModel, vocabulary: Vocabulary)

    /// The model of `reader` with its vocabulary; `byteLevel` tells whether the pre-tokenizer is
    /// ByteLevel, which BPE needs.
    static func make(_ reader: JSONFieldReader, byteLevel: Bool) throws(TokenizerError) -> Built {
        let type = try reader.string("type") ?? inferredType(reader)
        switch type {
        case "WordPiece":
            return try wordPiece(reader, byteLevel: byteLevel)
        case "BPE":
            return try bytePair(reader, byteLevel: byteLevel)
        case "Unigram":
            return try unigram(reader)
        default:
            throw .unsupportedModel(file: reader.file, type: type)
        }
    }

    /// Old tokenizer.json files have no `type`; tell the model by its fields.
    private static func inferredType(_ reader: JSONFieldReader) -> String {
        if reader.optional("merges") != nil { return "BPE" }
        if reader.optional("vocab")?.elements != nil { return "Unigram" }
        if reader.optional("continuing_subword_prefix") != nil
            || reader.optional("max_input_chars_per_word") != nil
        {
            return "WordPiece"
        }
        return "(no type)"
    }

    private static func vocabulary(_ reader: JSONFieldReader) throws(TokenizerError) -> Vocabulary {
        guard let json = reader.optional("vocab") else { throw reader.invalid("vocab", "is missing") }
        return try Vocabulary.read(json, file: reader.file, path: "model.vocab")
    }

    private static func wordPiece(_ reader: JSONFieldReader, byteLevel: Bool) throws(TokenizerError) -> Built {
        if byteLevel {
            throw .unsupportedModel(file: reader.file, type: "WordPiece after a ByteLevel pre-tokenizer")
        }
        let vocabulary = try vocabulary(reader)
        let unknown = try reader.string("unk_token") ?? "[UNK]"
        guard let unknownId = vocabulary.id(of: unknown) else {
            throw .missingSpecialToken(file: reader.file, token: unknown)
        }
        let maxCharacters = try reader.integer("max_input_chars_per_word") ?? 100
        let model = WordPieceModel(
            vocabulary: vocabulary.entries, unknownId: unknownId,
            continuingSubwordPrefix: try reader.string("continuing_subword_prefix") ?? "##",
            maxInputCharactersPerWord: maxCharacters)
        return (model, vocabulary)
    }

    /// SentencePiece's Unigram: `vocab` is `[[piece, score], …]` (id = position), `unk_id` the
    /// unknown piece, `byte_fallback` the `<0xXX>` pieces for what no piece covers.
    private static func unigram(_ reader: JSONFieldReader) throws(TokenizerError) -> Built {
        guard let list = reader.optional("vocab")?.elements else { throw reader.invalid("vocab", "is missing or not a list of [piece, score]") }
        var pieces: [(piece: String, score: Double)] = []
        pieces.reserveCapacity(list.count)
        for (index, element) in list.enumerated() {
            guard let pair = element.elements, pair.count == 2, let piece = pair[0].string, let score = pair[1].double, score.isFinite else {
                throw reader.invalid("vocab[\(index)]", "is not [piece, score]")
            }
            pieces.append((piece, score))
        }
        guard let unknown = try reader.integer("unk_id"), let unknownId = Int32(exactly: unknown), (0..<pieces.count).contains(unknown) else {
            throw reader.invalid("unk_id", "is missing or not the id of a piece")
        }
        let vocabulary = Vocabulary(entries: pieces.enumerated().map { (token: $0.element.piece, id: Int32($0.offset)) })
        let model = UnigramModel(pieces: pieces, unknownId: unknownId, byteFallback: try reader.bool("byte_fallback") ?? false)
        return (model, vocabulary)
    }

    private static func bytePair(_ reader: JSONFieldReader, byteLevel: Bool) throws(TokenizerError) -> Built {
        guard byteLevel else {
            throw .unsupportedModel(file: reader.file, type: "BPE without a ByteLevel pre-tokenizer")
        }
        if let dropout = reader.optional("dropout")?.double, dropout > 0 {
            throw .unsupportedModel(file: reader.file, type: "BPE with dropout")
        }
        if let value = try reader.string("continuing_subword_prefix"), !value.isEmpty {
            throw .unsupportedModel(file: reader.file, type: "BPE with continuing_subword_prefix")
        }
        for key in ["byte_fallback", "ignore_merges"] {
            if try reader.bool(key) == true {
                throw .unsupportedModel(file: reader.file, type: "BPE with \(key)")
            }
        }
        let vocabulary = try vocabulary(reader)
        var merges: [(left: String, right: String)] = []
        let list = try reader.array("merges") ?? []
        merges.reserveCapacity(list.count)
        for (index, element) in list.enumerated() {
            if let line = element.string, let merge = BytePairModelBuilder.parseMerge(line) {
                merges.append(merge)
            } else if let pair = element.elements, pair.count == 2, let left = pair[0].string,
                let right = pair[1].string
            {
                merges.append((left, right))
            } else {
                throw reader.invalid("merges[\(index)]", "is neither \"left right\" nor [left, right]")
            }
        }
        let model = try BytePairModelBuilder.make(
            vocabulary: vocabulary, merges: merges, unknownToken: try reader.string("unk_token"),
            fuseUnknown: try reader.bool("fuse_unk") ?? false,
            endOfWordSuffix: try reader.string("end_of_word_suffix") ?? "", file: reader.file)
        return (model, vocabulary)
    }
}
