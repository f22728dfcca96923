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
        case "Split":
            return try split(reader)
        case "WhitespaceSplit":
            return WhitespaceSplitPreTokenizer()
        case "Sequence":
            let elements = try reader.objects("pretokenizers")
            guard !elements.isEmpty else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Sequence of no pre-tokenizers")
            }
            var steps: [any PreTokenizer] = []
            for element in elements { steps.append(try make(element, file: file)) }
            // A lone ByteLevel must stay recognisable as such (BPE checks for it); in a longer
            // sequence it may only come last (CLIP's Split then ByteLevel).
            if steps.count == 1 { return steps[0] }
            guard !steps.dropLast().contains(where: { $0 is ByteLevelPreTokenizer }) else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Sequence with ByteLevel before other pre-tokenizers")
            }
            return PreTokenizerSequence(steps: steps)
        default:
            throw .unsupportedPreTokenizer(file: reader.file, type: type)
        }
    }

    /// A `Split` pre-tokenizer: a literal pattern, or a regular expression zoo knows.
    private static func split(_ reader: JSONFieldReader) throws(TokenizerError) -> SplitPreTokenizer {
        guard let pattern = try reader.object("pattern") else { throw reader.invalid("pattern", "is missing") }
        let found: SplitPattern
        if let literal = try pattern.string("String") {
            found = .literal(Array(literal.utf8))
        } else if let expression = try pattern.string("Regex") {
            guard let known = SplitPattern(expression: expression) else {
                throw .unsupportedPreTokenizer(file: reader.file, type: "Split with the regular expression \(expression) (zoo runs CLIP's and literal strings)")
            }
            found = known
        } else {
            throw reader.invalid("pattern", "must be {\"String\": …} or {\"Regex\": …}")
        }
        let name = try reader.string("behavior") ?? "Removed"
        guard let behavior = SplitPreTokenizer.Behavior(rawValue: name) else {
            throw .unsupportedPreTokenizer(file: reader.file, type: "Split with behavior \(name) (zoo runs Removed and Isolated)")
        }
        return SplitPreTokenizer(pattern: found, behavior: behavior, invert: try reader.bool("invert") ?? false)
    }
}
