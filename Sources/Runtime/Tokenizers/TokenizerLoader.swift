import Foundation

/// Loads the tokenizer of a Hugging Face model folder.
public enum TokenizerLoader {
    /// The tokenizer in `folder`: from `tokenizer.json`, or else from `spiece.model` (SigLIP's
    /// SentencePiece model, ``SiglipTokenizer``), `vocab.txt` (WordPiece) or `vocab.json` +
    /// `merges.txt` (byte-level BPE), with `tokenizer_config.json` and `special_tokens_map.json`
    /// when present.
    ///
    /// - Parameters:
    ///   - folder: The model folder.
    ///   - maxLength: Longest sequence ``TextTokenizer/encode(_:)`` returns, special tokens
    ///     included. Nil: `max_seq_length` of `sentence_bert_config.json`, else
    ///     `truncation.max_length` of tokenizer.json, else `model_max_length` of
    ///     tokenizer_config.json when below one million, else 512.
    /// - Throws: ``TokenizerError`` naming the file that is missing, malformed or unsupported.
    public static func load(folder: URL, maxLength: Int? = nil) throws(TokenizerError) -> any TextTokenizer {
        if let maxLength, maxLength < 1 {
            throw .invalidContent(file: folder.path, reason: "maximum length \(maxLength) is not positive")
        }
        let config = try TokenizerConfig.read(folder: folder)
        let files = FileManager.default
        let tokenizerJSON = folder.appendingPathComponent("tokenizer.json")
        if files.fileExists(atPath: tokenizerJSON.path) {
            return try TokenizerJSONLoader.load(url: tokenizerJSON, config: config, maxLength: maxLength)
        }
        let sentencePiece = folder.appendingPathComponent("spiece.model")
        if files.fileExists(atPath: sentencePiece.path) {
            guard config.tokenizerClass?.hasPrefix("SiglipTokenizer") ?? false else {
                throw .unsupportedModel(
                    file: sentencePiece.path,
                    type: "a SentencePiece model without tokenizer.json for tokenizer_class \(config.tokenizerClass ?? "(none)") (zoo reads spiece.model for SiglipTokenizer)")
            }
            return try SiglipTokenizer(folder: folder, config: config, maxLength: maxLength)
        }
        let vocabularyText = folder.appendingPathComponent("vocab.txt")
        if files.fileExists(atPath: vocabularyText.path) {
            return try LegacyTokenizerLoader.loadWordPiece(url: vocabularyText, config: config, maxLength: maxLength)
        }
        let vocabularyJSON = folder.appendingPathComponent("vocab.json")
        let merges = folder.appendingPathComponent("merges.txt")
        if files.fileExists(atPath: vocabularyJSON.path) && files.fileExists(atPath: merges.path) {
            return try LegacyTokenizerLoader.loadBytePair(
                vocabularyURL: vocabularyJSON, mergesURL: merges, config: config, maxLength: maxLength)
        }
        throw .missingTokenizerFiles(folder: folder.path)
    }
}
