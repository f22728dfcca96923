import Foundation

/// Builds a tokenizer from a Hugging Face `tokenizer.json`.
enum TokenizerJSONLoader {
    /// The tokenizer described by `url`, with `config` from the same folder; `maxLength` nil
    /// means "as the files say" (see ``MaxLengthResolver``).
    static func load(url: URL, config: TokenizerConfig, maxLength: Int?) throws(TokenizerError) -> PipelineTokenizer {
        let file = url.path
        let root = try JSONFieldReader(file: file, value: try TokenizerFileReader.json(of: url), path: "")
        let addedTokens = try readAddedTokens(root)
        let normalizer = try NormalizerFactory.make(try root.object("normalizer"))
        let preTokenizerReader = try root.object("pre_tokenizer")
        let preTokenizer = try PreTokenizerFactory.make(preTokenizerReader, file: file)
        guard let modelReader = try root.object("model") else { throw root.invalid("model", "is missing") }
        let (model, vocabulary) = try ModelFactory.make(
            modelReader,
            byteLevel: preTokenizer is ByteLevelPreTokenizer
                || (preTokenizer as? PreTokenizerSequence)?.steps.last is ByteLevelPreTokenizer)
        let template = try PostProcessorFactory.make(try root.object("post_processor"))
        let lookup = TokenIdLookup(addedTokens: addedTokens, vocabulary: vocabulary)

        let padding = try root.object("padding")
        var knownPadId: Int32?
        if let id = try padding?.integer("pad_id") { knownPadId = Int32(exactly: id) }
        let padId = try lookup.padId(
            config: config, fallbackName: model is BytePairModel || model is UnigramModel ? "<pad>" : "[PAD]", knownId: knownPadId, file: file)

        let truncation = try root.object("truncation")
        let resolvedLength = try MaxLengthResolver.resolve(
            folder: url.deletingLastPathComponent(), explicit: maxLength,
            tokenizerTruncation: try truncation?.integer("max_length"), config: config)
        let truncateLeft: Bool
        if let side = config.truncationSide {
            truncateLeft = side == "left"
        } else {
            truncateLeft = try truncation?.string("direction") == "Left"
        }
        return PipelineTokenizer(
            PipelineTokenizer.Parts(
                addedTokens: addedTokens, normalizer: normalizer, preTokenizer: preTokenizer, model: model,
                template: template, padId: padId, maxLength: resolvedLength, truncateLeft: truncateLeft))
    }

    private static func readAddedTokens(_ root: JSONFieldReader) throws(TokenizerError) -> [AddedToken] {
        var tokens: [AddedToken] = []
        for entry in try root.objects("added_tokens") {
            guard let id = try entry.integer("id"), let id32 = Int32(exactly: id), id32 >= 0 else {
                throw entry.invalid("id", "is missing or not a token id")
            }
            tokens.append(
                AddedToken(
                    content: try entry.requiredString("content"), id: id32,
                    singleWord: try entry.bool("single_word") ?? false,
                    leftStrip: try entry.bool("lstrip") ?? false,
                    rightStrip: try entry.bool("rstrip") ?? false,
                    normalized: try entry.bool("normalized") ?? false,
                    special: try entry.bool("special") ?? false))
        }
        return tokens
    }
}
