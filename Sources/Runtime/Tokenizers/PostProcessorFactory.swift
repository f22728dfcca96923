/// Reads the special tokens that tokenizer.json's `post_processor` puts around one sequence.
enum PostProcessorFactory {
    /// The template of `reader` (no special tokens for JSON null).
    static func make(_ reader: JSONFieldReader?) throws(TokenizerError) -> SpecialTokenTemplate {
        guard let reader else { return .none }
        let type = try reader.type()
        switch type {
        case "TemplateProcessing":
            return try template(reader)
        case "BertProcessing", "RobertaProcessing":
            let cls = try tokenAndId(reader, "cls")
            let sep = try tokenAndId(reader, "sep")
            return SpecialTokenTemplate(prefix: [cls], suffix: [sep])
        case "ByteLevel":
            return .none
        case "Sequence":
            var result = SpecialTokenTemplate.none
            for element in try reader.objects("processors") {
                result = result.wrapped(by: try make(element))
            }
            return result
        default:
            throw .unsupportedPostProcessor(file: reader.file, type: type)
        }
    }

    /// `[token, id]` field `key` of BertProcessing / RobertaProcessing.
    private static func tokenAndId(_ reader: JSONFieldReader, _ key: String) throws(TokenizerError) -> Int32 {
        guard let pair = try reader.array(key), pair.count == 2, pair[0].string != nil,
            let id = pair[1].integer, let id32 = Int32(exactly: id)
        else { throw reader.invalid(key, "is not a [token, id] pair") }
        return id32
    }

    /// The `single` template of TemplateProcessing: special tokens before and after sequence A.
    private static func template(_ reader: JSONFieldReader) throws(TokenizerError) -> SpecialTokenTemplate {
        let specials = try reader.object("special_tokens")
        var prefix: [Int32] = []
        var suffix: [Int32] = []
        var seenSequence = false
        for (index, item) in (try reader.array("single") ?? []).enumerated() {
            let itemPath = "single[\(index)]"
            if let special = item["SpecialToken"] {
                let entry = try JSONFieldReader(file: reader.file, value: special, path: "post_processor.\(itemPath)")
                let name = try entry.requiredString("id")
                guard let definition = try specials?.object(name), let ids = try definition.array("ids") else {
                    throw reader.invalid(itemPath, "names special token \(name), which special_tokens does not define")
                }
                var tokenIds: [Int32] = []
                for id in ids {
                    guard let value = id.integer, let id32 = Int32(exactly: value) else {
                        throw reader.invalid("special_tokens.\(name).ids", "is not a list of ids")
                    }
                    tokenIds.append(id32)
                }
                if seenSequence { suffix += tokenIds } else { prefix += tokenIds }
            } else if let sequence = item["Sequence"] {
                let entry = try JSONFieldReader(file: reader.file, value: sequence, path: "post_processor.\(itemPath)")
                guard try entry.requiredString("id") == "A", !seenSequence else {
                    throw reader.invalid(itemPath, "is not a single sequence A")
                }
                seenSequence = true
            } else {
                throw reader.invalid(itemPath, "is neither SpecialToken nor Sequence")
            }
        }
        guard seenSequence else { throw reader.invalid("single", "has no sequence A") }
        return SpecialTokenTemplate(prefix: prefix, suffix: suffix)
    }
}
