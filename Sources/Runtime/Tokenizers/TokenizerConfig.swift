import Foundation

/// What `tokenizer_config.json` and `special_tokens_map.json` (transformers' files next to the
/// tokenizer) say; every field is optional.
struct TokenizerConfig: Sendable {
    /// A special token as transformers writes it: a string, or an object with `content` and flags.
    struct SpecialToken: Sendable, Equatable {
        var content: String
        var leftStrip: Bool?
        var rightStrip: Bool?
        var singleWord: Bool?
        var normalized: Bool?
    }

    /// The roles of special tokens, named as in the files.
    enum Role: String, CaseIterable, Sendable {
        case unknown = "unk_token"
        case separator = "sep_token"
        case padding = "pad_token"
        case classifier = "cls_token"
        case mask = "mask_token"
        case beginning = "bos_token"
        case end = "eos_token"
    }

    /// Special tokens by role (tokenizer_config.json first, then special_tokens_map.json).
    var specialTokens: [Role: SpecialToken] = [:]
    /// `additional_special_tokens`.
    var additionalSpecialTokens: [SpecialToken] = []
    /// `added_tokens_decoder`: added tokens with their ids and flags.
    var addedTokens: [AddedToken] = []
    /// `do_lower_case`.
    var doLowerCase: Bool?
    /// `strip_accents` (null means "as `do_lower_case`").
    var stripAccents: Bool?
    /// `tokenize_chinese_chars`.
    var tokenizeChineseCharacters: Bool?
    /// `add_prefix_space`.
    var addPrefixSpace: Bool?
    /// `model_max_length`, which transformers sets to a huge number when unknown.
    var modelMaxLength: Double?
    /// `truncation_side`: `right` or `left`.
    var truncationSide: String?
    /// `tokenizer_class`, for example `SiglipTokenizer`.
    var tokenizerClass: String?

    /// Reads the files in `folder`; absent files give an empty configuration.
    static func read(folder: URL) throws(TokenizerError) -> TokenizerConfig {
        var config = TokenizerConfig()
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if let json = try TokenizerFileReader.jsonIfPresent(configURL) {
            let reader = try JSONFieldReader(file: configURL.path, value: json, path: "")
            try config.readSettings(reader)
            try config.readSpecialTokens(reader)
            try config.readAddedTokensDecoder(reader)
        }
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        if let json = try TokenizerFileReader.jsonIfPresent(mapURL) {
            try config.readSpecialTokens(try JSONFieldReader(file: mapURL.path, value: json, path: ""))
        }
        return config
    }

    private mutating func readSettings(_ reader: JSONFieldReader) throws(TokenizerError) {
        doLowerCase = try reader.bool("do_lower_case")
        stripAccents = try reader.bool("strip_accents")
        tokenizeChineseCharacters = try reader.bool("tokenize_chinese_chars")
        addPrefixSpace = try reader.bool("add_prefix_space")
        if let field = reader.optional("model_max_length") {
            guard let value = field.double else { throw reader.invalid("model_max_length", "is not a number") }
            modelMaxLength = value
        }
        truncationSide = try reader.string("truncation_side")
        tokenizerClass = try reader.string("tokenizer_class")
    }

    /// Fills the roles not set yet from `reader`.
    private mutating func readSpecialTokens(_ reader: JSONFieldReader) throws(TokenizerError) {
        for role in Role.allCases where specialTokens[role] == nil {
            if let field = reader.optional(role.rawValue) {
                specialTokens[role] = try Self.specialToken(field, reader: reader, key: role.rawValue)
            }
        }
        if additionalSpecialTokens.isEmpty, let list = try reader.array("additional_special_tokens") {
            for element in list {
                additionalSpecialTokens.append(
                    try Self.specialToken(element, reader: reader, key: "additional_special_tokens"))
            }
        }
    }

    private static func specialToken(
        _ field: StrictJSON, reader: JSONFieldReader, key: String
    ) throws(TokenizerError) -> SpecialToken {
        if let content = field.string { return SpecialToken(content: content) }
        guard field.members != nil else { throw reader.invalid(key, "is neither a string nor an object") }
        let object = try JSONFieldReader(file: reader.file, value: field, path: key)
        return SpecialToken(
            content: try object.requiredString("content"),
            leftStrip: try object.bool("lstrip"),
            rightStrip: try object.bool("rstrip"),
            singleWord: try object.bool("single_word"),
            normalized: try object.bool("normalized"))
    }

    private mutating func readAddedTokensDecoder(_ reader: JSONFieldReader) throws(TokenizerError) {
        guard let decoder = try reader.object("added_tokens_decoder"), let members = decoder.value.members else { return }
        for (key, value) in members {
            guard let id = Int32(key) else { throw decoder.invalid(key, "is not a token id") }
            let entry = try JSONFieldReader(file: reader.file, value: value, path: "added_tokens_decoder.\(key)")
            addedTokens.append(
                AddedToken(
                    content: try entry.requiredString("content"), id: id,
                    singleWord: try entry.bool("single_word") ?? false,
                    leftStrip: try entry.bool("lstrip") ?? false,
                    rightStrip: try entry.bool("rstrip") ?? false,
                    normalized: try entry.bool("normalized") ?? false,
                    special: try entry.bool("special") ?? false))
        }
    }
}
