/// Typed access to the fields of a JSON object from a tokenizer file, reporting a wrong type as
/// ``TokenizerError/invalidContent(file:reason:)`` with the field's path.
struct JSONFieldReader {
    /// Path of the file, for errors.
    let file: String
    /// The object read.
    let value: StrictJSON
    /// Where `value` is in the file (for example `model`), for errors.
    let path: String

    /// A reader of `value`, which must be an object.
    init(file: String, value: StrictJSON, path: String) throws(TokenizerError) {
        guard value.members != nil else {
            throw .invalidContent(file: file, reason: "\(path.isEmpty ? "the top level" : path) is not a JSON object")
        }
        self.file = file
        self.value = value
        self.path = path
    }

    private func fieldPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// An error about field `key`.
    func invalid(_ key: String, _ problem: String) -> TokenizerError {
        .invalidContent(file: file, reason: "\(fieldPath(key)) \(problem)")
    }

    /// Field `key`, nil when absent or null.
    func optional(_ key: String) -> StrictJSON? {
        guard let field = value[key], !field.isNull else { return nil }
        return field
    }

    /// String field `key`, nil when absent or null.
    func string(_ key: String) throws(TokenizerError) -> String? {
        guard let field = optional(key) else { return nil }
        guard let text = field.string else { throw invalid(key, "is not a string") }
        return text
    }

    /// String field `key`, which must be present.
    func requiredString(_ key: String) throws(TokenizerError) -> String {
        guard let text = try string(key) else { throw invalid(key, "is missing") }
        return text
    }

    /// Boolean field `key`, nil when absent or null.
    func bool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let field = optional(key) else { return nil }
        guard let flag = field.bool else { throw invalid(key, "is not true or false") }
        return flag
    }

    /// Integer field `key`, nil when absent or null.
    func integer(_ key: String) throws(TokenizerError) -> Int? {
        guard let field = optional(key) else { return nil }
        guard let number = field.integer else { throw invalid(key, "is not an integer") }
        return number
    }

    /// Object field `key` as a reader, nil when absent or null.
    func object(_ key: String) throws(TokenizerError) -> JSONFieldReader? {
        guard let field = optional(key) else { return nil }
        return try JSONFieldReader(file: file, value: field, path: fieldPath(key))
    }

    /// Array field `key`, nil when absent or null.
    func array(_ key: String) throws(TokenizerError) -> [StrictJSON]? {
        guard let field = optional(key) else { return nil }
        guard let elements = field.elements else { throw invalid(key, "is not an array") }
        return elements
    }

    /// Readers for the objects in array field `key` (empty when absent).
    func objects(_ key: String) throws(TokenizerError) -> [JSONFieldReader] {
        var readers: [JSONFieldReader] = []
        for (index, element) in (try array(key) ?? []).enumerated() {
            readers.append(try JSONFieldReader(file: file, value: element, path: "\(fieldPath(key))[\(index)]"))
        }
        return readers
    }

    /// The `type` field, which must be present.
    func type() throws(TokenizerError) -> String {
        try requiredString("type")
    }
}
