/// A JSON value read from a tokenizer file.
///
/// Objects keep their members in document order with keys exactly as written: a Swift
/// `Dictionary<String, _>` would merge keys that are canonically equivalent (for example a
/// precomposed and a decomposed "é"), which are distinct tokens in a vocabulary.
indirect enum TokenizerJSON: Sendable {
    case object([(key: String, value: TokenizerJSON)])
    case array([TokenizerJSON])
    case string(String)
    case number(Double, integer: Int?)
    case bool(Bool)
    case null

    /// The member named `key` of an object (the first one if repeated); nil otherwise.
    subscript(key: String) -> TokenizerJSON? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key.utf8.elementsEqual(key.utf8) {
            return member.value
        }
        return nil
    }

    /// The members of an object, or nil.
    var members: [(key: String, value: TokenizerJSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or nil.
    var elements: [TokenizerJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, or nil.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of an integer number literal, or nil.
    var integer: Int? {
        if case .number(_, let integer) = self { return integer }
        return nil
    }

    /// The value of any number, or nil.
    var double: Double? {
        if case .number(let value, _) = self { return value }
        return nil
    }

    /// The value of a boolean, or nil.
    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether this is JSON `null`.
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
