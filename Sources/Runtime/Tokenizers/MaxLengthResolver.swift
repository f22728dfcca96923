import Foundation

/// Picks the longest sequence a tokenizer returns, as sentence-transformers does.
enum MaxLengthResolver {
    /// Used when no file says anything.
    static let defaultMaxLength = 512

    /// `explicit` if given; else `max_seq_length` of `sentence_bert_config.json` in `folder`;
    /// else `truncation.max_length` of tokenizer.json; else `model_max_length` of
    /// tokenizer_config.json when below one million; else 512.
    static func resolve(
        folder: URL, explicit: Int?, tokenizerTruncation: Int?, config: TokenizerConfig
    ) throws(TokenizerError) -> Int {
        if let explicit { return explicit }
        let url = folder.appendingPathComponent("sentence_bert_config.json")
        if let json = try TokenizerFileReader.jsonIfPresent(url) {
            let reader = try JSONFieldReader(file: url.path, value: json, path: "")
            if let length = try reader.integer("max_seq_length") {
                guard length > 0 else { throw reader.invalid("max_seq_length", "is not positive") }
                return length
            }
        }
        if let tokenizerTruncation, tokenizerTruncation > 0 { return tokenizerTruncation }
        if let length = config.modelMaxLength, length >= 1, length < 1e6 {
            return Int(length)
        }
        return defaultMaxLength
    }
}
