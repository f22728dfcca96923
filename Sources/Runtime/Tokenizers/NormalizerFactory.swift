/// Builds the normalizer that tokenizer.json's `normalizer` describes.
enum NormalizerFactory {
    /// The normalizer of `reader` (nil for JSON null: no normalization).
    static func make(_ reader: JSONFieldReader?) throws(TokenizerError) -> (any TextNormalizer)? {
        guard let reader else { return nil }
        let type = try reader.type()
        switch type {
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try reader.bool("clean_text") ?? true,
                handleChineseCharacters: try reader.bool("handle_chinese_chars") ?? true,
                stripAccents: try reader.bool("strip_accents"),
                lowercase: try reader.bool("lowercase") ?? true)
        case "Lowercase":
            return LowercaseNormalizer()
        case "Replace":
            let content = try reader.string("content") ?? ""
            guard let pattern = try reader.object("pattern") else { throw reader.invalid("pattern", "is missing") }
            if let literal = try pattern.string("String") {
                return ReplaceNormalizer(pattern: .literal(Array(literal.utf8)), content: Array(content.utf8))
            }
            guard let expression = try pattern.string("Regex") else {
                throw reader.invalid("pattern", "must be {\"String\": …} or {\"Regex\": …}")
            }
            guard expression == #"\s+"# else {
                throw .unsupportedNormalizer(file: reader.file, type: "Replace with the regular expression \(expression) (zoo runs \\s+ and literal strings)")
            }
            return ReplaceNormalizer(pattern: .whitespaceRun, content: Array(content.utf8))
        case "Precompiled":
            guard let charsmap = try reader.string("precompiled_charsmap") else {
                throw reader.invalid("precompiled_charsmap", "is missing")
            }
            return try PrecompiledNormalizer(base64: charsmap, file: reader.file)
        case "NFC", "NFD", "NFKC", "NFKD":
            return UnicodeFormNormalizer(form: UnicodeFormNormalizer.Form(rawValue: type)!)
        case "Sequence":
            var normalizers: [any TextNormalizer] = []
            for element in try reader.objects("normalizers") {
                if let normalizer = try make(element) { normalizers.append(normalizer) }
            }
            return NormalizerSequence(normalizers: normalizers)
        default:
            throw .unsupportedNormalizer(file: reader.file, type: type)
        }
    }
}
