import Foundation
import Registry

extension JSONValue {
    /// The JSON object or array the catalog text `text` holds, for `--json` output, where such
    /// fields print as JSON rather than as strings; `.null` when the text is absent, not JSON,
    /// or a bare string, number, boolean or null.
    init(parsing text: String?) {
        let value = text.map(JSONValue.init(embedding:)) ?? .null
        self = value.objectValue != nil || value.arrayValue != nil ? value : .null
    }

    /// The member `key` of an object; nil for a missing key or a value that is no object.
    subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The text when this is a string.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number when this is a whole one that fits in an `Int`.
    var intValue: Int? {
        switch self {
        case .integer(let value): return Int(exactly: value)
        case .number(let value): return Int(exactly: value)
        default: return nil
        }
    }

    /// The elements when this is an array of objects (a training history).
    var objectsValue: [[String: JSONValue]]? {
        arrayValue?.all(\.objectValue)
    }

    /// The members as numbers when this is an object of numbers only (metrics).
    var numbersValue: [String: Double]? {
        guard let members = objectValue else { return nil }
        var numbers: [String: Double] = [:]
        for (key, value) in members {
            guard let number = value.doubleValue else { return nil }
            numbers[key] = number
        }
        return numbers
    }
}

extension Array where Element == JSONValue {
    /// Every element converted by `transform` (`\.stringValue`, `\.doubleValue`, …); nil when any does not convert.
    func all<Converted>(_ transform: (JSONValue) -> Converted?) -> [Converted]? {
        var converted: [Converted] = []
        converted.reserveCapacity(count)
        for element in self {
            guard let value = transform(element) else { return nil }
            converted.append(value)
        }
        return converted
    }
}
