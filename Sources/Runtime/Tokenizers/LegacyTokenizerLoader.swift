import Foundation

/// Builds a tokenizer from the files of transformers' "slow" tokenizers when a folder has no
/// tokenizer.json: `vocab.txt` (BERT WordPiece) or `vocab.json` + `merges.txt` (RoBERTa
/// byte-level BPE), with the settings of tokenizer_config.json and special_tokens_map.json, set
/// up as transformers converts them to a fast tokenizer.
enum LegacyTokenizerLoader {
    /// A BERT WordPiece tokenizer from `vocab.txt` at `url`.
    static func loadWordPiece(
        url: URL, config: TokenizerConfig, maxLength: Int?
    ) throws(TokenizerError) -> PipelineTokenizer {
        let file = url.path
        var entries: [(token: String, id: Int32)] = []
        for (index, line) in try TokenizerFileReader.lines(of: url).enumerated() {
            entries.append((line, Int32(index)))
        }
        let vocabulary = Vocabulary(entries: entries)
        let roles = defaultNames(config, [
            .unknown: "[UNK]", .separator: "[SEP]", .padding: "[PAD]", .classifier: "[CLS]", .mask: "[MASK]",
        ])
        let addedTokens = specialAddedTokens(config, roles: roles, vocabulary: vocabulary, maskLeftStrip: false)
        let lookup = TokenIdLookup(addedTokens: addedTokens, vocabulary: vocabulary)
        let ids = try requiredIds(roles, [.unknown, .classifier, .separator, .padding], lookup: lookup, file: file)
        let lowercase = config.doLowerCase ?? true
        let model = WordPieceModel(
            vocabulary: entries, unknownId: ids[.unknown]!, continuingSubwordPrefix: "##",
            maxInputCharactersPerWord: 100)
        return PipelineTokenizer(
            PipelineTokenizer.Parts(
                addedTokens: addedTokens,
                normalizer: BertNormalizer(
                    cleanText: true, handleChineseCharacters: config.tokenizeChineseCharacters ?? true,
                    stripAccents: config.stripAccents, lowercase: lowercase),
                preTokenizer: BertPreTokenizer(), model: model,
                template: SpecialTokenTemplate(prefix: [ids[.classifier]!], suffix: [ids[.separator]!]),
                padId: ids[.padding]!,
                maxLength: try MaxLengthResolver.resolve(
                    folder: url.deletingLastPathComponent(), explicit: maxLength, tokenizerTruncation: nil,
                    config: config),
                truncateLeft: config.truncationSide == "left"))
    }

    /// A RoBERTa byte-level BPE tokenizer from `vocab.json` and `merges.txt`.
    static func loadBytePair(
        vocabularyURL: URL, mergesURL: URL, config: TokenizerConfig, maxLength: Int?
    ) throws(TokenizerError) -> PipelineTokenizer {
        let vocabulary = try Vocabulary.read(
            try TokenizerFileReader.json(of: vocabularyURL), file: vocabularyURL.path, path: "the top level")
        var merges: [(left: String, right: String)] = []
        for (number, line) in try TokenizerFileReader.lines(of: mergesURL).enumerated() {
            if line.isEmpty || (number == 0 && line.hasPrefix("#version")) { continue }
            guard let merge = BytePairModelBuilder.parseMerge(line) else {
                throw .invalidContent(
                    file: mergesURL.path, reason: "line \(number + 1) is not two tokens separated by a space")
            }
            merges.append(merge)
        }
        let model = try BytePairModelBuilder.make(
            vocabulary: vocabulary, merges: merges, unknownToken: nil, fuseUnknown: false, file: mergesURL.path)
        let roles = defaultNames(config, [
            .beginning: "<s>", .end: "</s>", .separator: "</s>", .classifier: "<s>", .unknown: "<unk>",
            .padding: "<pad>", .mask: "<mask>",
        ])
        let addedTokens = specialAddedTokens(config, roles: roles, vocabulary: vocabulary, maskLeftStrip: true)
        let lookup = TokenIdLookup(addedTokens: addedTokens, vocabulary: vocabulary)
        let ids = try requiredIds(
            roles, [.classifier, .separator, .padding], lookup: lookup, file: vocabularyURL.path)
        return PipelineTokenizer(
            PipelineTokenizer.Parts(
                addedTokens: addedTokens, normalizer: nil,
                preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: config.addPrefixSpace ?? false, useRegex: true),
                model: model,
                template: SpecialTokenTemplate(prefix: [ids[.classifier]!], suffix: [ids[.separator]!]),
                padId: ids[.padding]!,
                maxLength: try MaxLengthResolver.resolve(
                    folder: vocabularyURL.deletingLastPathComponent(), explicit: maxLength, tokenizerTruncation: nil,
                    config: config),
                truncateLeft: config.truncationSide == "left"))
    }

    /// The special token of each role: the configured one, else the default name.
    private static func defaultNames(
        _ config: TokenizerConfig, _ defaults: [TokenizerConfig.Role: String]
    ) -> [TokenizerConfig.Role: TokenizerConfig.SpecialToken] {
        var roles: [TokenizerConfig.Role: TokenizerConfig.SpecialToken] = [:]
        for (role, name) in defaults {
            roles[role] = config.specialTokens[role] ?? TokenizerConfig.SpecialToken(content: name)
        }
        for (role, token) in config.specialTokens where roles[role] == nil {
            roles[role] = token
        }
        return roles
    }

    /// The added tokens: `added_tokens_decoder` when the configuration has it, else the special
    /// tokens found in the vocabulary (the mask token swallowing the space before it when
    /// `maskLeftStrip`, as RoBERTa's tokenizer sets it).
    private static func specialAddedTokens(
        _ config: TokenizerConfig, roles: [TokenizerConfig.Role: TokenizerConfig.SpecialToken],
        vocabulary: Vocabulary, maskLeftStrip: Bool
    ) -> [AddedToken] {
        if !config.addedTokens.isEmpty { return config.addedTokens }
        var tokens: [AddedToken] = []
        var seen = Set<[UInt8]>()
        let ordered = TokenizerConfig.Role.allCases.compactMap { role in roles[role].map { (role, $0) } }
            + config.additionalSpecialTokens.map { (TokenizerConfig.Role?.none, $0) }
        for (role, special) in ordered {
            guard let id = vocabulary.id(of: special.content), seen.insert(Array(special.content.utf8)).inserted else {
                continue
            }
            tokens.append(
                AddedToken(
                    content: special.content, id: id, singleWord: special.singleWord ?? false,
                    leftStrip: special.leftStrip ?? (role == .mask && maskLeftStrip),
                    rightStrip: special.rightStrip ?? false, normalized: special.normalized ?? false,
                    special: true))
        }
        return tokens
    }

    private static func requiredIds(
        _ roles: [TokenizerConfig.Role: TokenizerConfig.SpecialToken], _ required: [TokenizerConfig.Role],
        lookup: TokenIdLookup, file: String
    ) throws(TokenizerError) -> [TokenizerConfig.Role: Int32] {
        var ids: [TokenizerConfig.Role: Int32] = [:]
        for role in required {
            let name = roles[role]!.content
            guard let id = lookup.id(of: name) else { throw .missingSpecialToken(file: file, token: name) }
            ids[role] = id
        }
        return ids
    }
}
