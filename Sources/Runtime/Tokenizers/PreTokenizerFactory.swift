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
        case "WhitespaceSplit":
            return WhitespaceSplitPreTokenizer()
        case "Sequence":
            let elements = try reader.objects("pretokenizers")
            guard !elements.isEmpty else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Sequence of no pre-tokenizers")
            }
            var steps: [any PreTokenizer] = []
            for element in elements { steps.append(try make(element, file: file)) }
            // ByteLevel must stay recognisable as such (BPE checks for it).
            if steps.count == 1 { return steps[0] }
            guard !steps.contains(where: { $0 is ByteLevelPreTokenizer }) else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Sequence with ByteLevel and other pre-tokenizers")
            }
            return PreTokenizerSequence(steps: steps)
        default:
            throw .unsupportedPreTokenizer(file: reader.file, type: type)
        }
    }
}
