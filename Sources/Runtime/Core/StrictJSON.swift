/// A JSON value read by ``StrictJSONParser``: zoo's one reader for JSON that comes from an
/// untrusted file and must be read exactly (safetensors headers, tokenizer files).
///
/// Objects keep their members in document order, with repeated keys and with keys exactly as
/// written: a Swift `Dictionary<String, _>` would merge keys that are canonically equivalent
/// (a precomposed and a decomposed "é", distinct tokens in a vocabulary), and Foundation's
/// `JSONSerialization` drops duplicates that a safetensors reader must refuse.
public indirect enum StrictJSON: Sendable {
    case object([(key: String, value: StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(JSONNumber)
    case bool(Bool)
    case null

    /// The member named `key` of an object (the first one if repeated); nil otherwise.
    public subscript(key: String) -> StrictJSON? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key.utf8.elementsEqual(key.utf8) {
            return member.value
        }
        return nil
    }

    /// The members of an object, or nil.
    public var members: [(key: String, value: StrictJSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or nil.
    public var elements: [StrictJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text of a string, or nil.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value of an integer number literal that fits in `Int`, or nil.
    public var integer: Int? {
        if case .number(let number) = self { return number.integer }
        return nil
    }

    /// The value of any number, or nil.
    public var double: Double? {
        if case .number(let number) = self { return number.value }
        return nil
    }

    /// The value of a boolean, or nil.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON number literal, kept exactly enough to tell integers from other numbers and to read
/// large integers without going through `Double`.
public struct JSONNumber: Sendable, Equatable {
    /// The literal's value as the nearest `Double`.
    public let value: Double
    /// Whether the literal starts with `-`.
    public let isNegative: Bool
    /// Whether the literal has neither a fraction nor an exponent.
    public let isInteger: Bool
    /// The absolute value of an integer literal that fits in `UInt64`; otherwise nil.
    public let magnitude: UInt64?

    /// The value of an integer literal that fits in `Int`, or nil.
    public var integer: Int? {
        guard isInteger, let magnitude else { return nil }
        if isNegative {
            return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int.max) ? Int(magnitude) : nil
    }

    /// The value as a non-negative `Int`, or nil when it is negative, fractional or too large.
    public var nonNegativeInt: Int? {
        guard let integer, integer >= 0 else { return nil }
        return integer
    }
}

/// A JSON syntax error with the byte offset where it was found.
public struct StrictJSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    /// Byte offset in the input.
    public let offset: Int

    /// One line for error messages: the reason and the byte offset.
    public var description: String { "\(reason) at byte \(offset)" }
}
