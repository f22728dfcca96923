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
        case "Metaspace":
            let replacement = try reader.string("replacement") ?? "\u{2581}"
            guard replacement.count == 1 else { throw reader.invalid("replacement", "must be one character") }
            let prepend: Bool
            switch try reader.string("prepend_scheme") {
            case "always": prepend = true
            case "never": prepend = false
            case nil: prepend = try reader.bool("add_prefix_space") ?? true
            case let other?:
                throw .unsupportedPreTokenizer(file: reader.file, type: "Metaspace with prepend_scheme \"\(other)\"")
            }
            return MetaspacePreTokenizer(replacement: Array(replacement.utf8), prepend: prepend, split: try reader.bool("split") ?? true)
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
