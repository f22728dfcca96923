/// Builds the pre-tokenizer that tokenizer.json's `pre_tokenizer` describes.
enum PreTokenizerFactory {
    /// The pre-tokenizer of `reader`; `file` names tokenizer.json when `reader` is nil (JSON null).
    static func make(_ reader: JSONFieldReader?, file: String) throws(TokenizerError) -> any PreTokenizer {
        guard let reader else { throw .unsupportedPreTokenizer(file: file, type: "null") }
        let type = try reader.type()
        switch type {
        case "BertPreTokenizer":
            return BertPreTokenizer()
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try reader.bool("add_prefix_space") ?? true,
                useRegex: try reader.bool("use_regex") ?? true)
        case "Sequence":
            let elements = try reader.objects("pretokenizers")
            guard elements.count == 1 else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Sequence of \(elements.count) pre-tokenizers")
            }
            return try make(elements[0], file: file)
        default:
            throw .unsupportedPreTokenizer(file: reader.file, type: type)
        }
    }
}
