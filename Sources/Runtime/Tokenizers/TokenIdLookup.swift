/// Finds the id of a token by its text: added tokens first, then the model's vocabulary.
struct TokenIdLookup {
    /// The added tokens.
    let addedTokens: [AddedToken]
    /// The model's vocabulary.
    let vocabulary: Vocabulary

    /// The id of `token`, or nil.
    func id(of token: String) -> Int32? {
        for added in addedTokens where added.content.utf8.elementsEqual(token.utf8) {
            return added.id
        }
        return vocabulary.id(of: token)
    }

    /// The padding id: the pad token named by the configuration files, else `fallbackName`.
    /// `knownId` (tokenizer.json's `padding.pad_id`) is used when no configuration file names one.
    func padId(
        config: TokenizerConfig, fallbackName: String, knownId: Int32?, file: String
    ) throws(TokenizerError) -> Int32 {
        if let named = config.specialTokens[.padding]?.content {
            guard let id = id(of: named) else { throw .missingSpecialToken(file: file, token: named) }
            return id
        }
        if let knownId { return knownId }
        guard let id = id(of: fallbackName) else { throw .missingSpecialToken(file: file, token: fallbackName) }
        return id
    }
}
