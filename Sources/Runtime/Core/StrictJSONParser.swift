/// A strict RFC 8259 JSON parser over UTF-8 bytes: no trailing commas, comments, leading zeros,
/// lone surrogates or control characters in strings; nesting limited so hostile input cannot
/// exhaust the stack; every index bounds-checked. Invalid UTF-8 inside strings is replaced
/// (callers that must refuse it check the bytes first, as the safetensors reader does).
public struct StrictJSONParser {
    /// The default deepest nesting of arrays and objects.
    public static let defaultMaximumDepth = 128

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maximumDepth: Int
    private var position = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses `data` as one JSON value surrounded by optional whitespace, with at most
    /// `maximumDepth` nested arrays and objects.
    public static func parse(
        _ data: [UInt8], maximumDepth: Int = defaultMaximumDepth
    ) throws(StrictJSONSyntaxError) -> StrictJSON {
        let result: Result<StrictJSON, StrictJSONSyntaxError> = data.withUnsafeBufferPointer { buffer in
            var parser = StrictJSONParser(bytes: buffer, maximumDepth: maximumDepth)
            return Result { () throws(StrictJSONSyntaxError) -> StrictJSON in
                parser.skipWhitespace()
                let value = try parser.parseValue(depth: 0)
                parser.skipWhitespace()
                guard parser.position == buffer.count else {
                    throw parser.error("unexpected data after the JSON value")
                }
                return value
            }
        }
        return try result.get()
    }

    private func error(_ reason: String) -> StrictJSONSyntaxError {
        StrictJSONSyntaxError(reason: reason, offset: position)
    }

    private var current: UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(StrictJSONSyntaxError) -> StrictJSON {
        guard let byte = current else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(StrictJSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input") }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] {
            throw error("invalid literal")
        }
        position += count
    }

    private mutating func parseObject(depth: Int) throws(StrictJSONSyntaxError) -> StrictJSON {
        guard depth <= maximumDepth else { throw error("nesting too deep") }
        position += 1
        var members: [(key: String, value: StrictJSON)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default:
                throw error(current == nil ? "unexpected end of input" : "expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(StrictJSONSyntaxError) -> StrictJSON {
        guard depth <= maximumDepth else { throw error("nesting too deep") }
        position += 1
        var elements: [StrictJSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw error(current == nil ? "unexpected end of input" : "expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(StrictJSONSyntaxError) -> JSONNumber {
        let start = position
        let isNegative = current == UInt8(ascii: "-")
        if isNegative { position += 1 }
        guard let first = current, Self.isDigit(first) else { throw error("invalid number") }
        var magnitude: UInt64? = 0
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = current, Self.isDigit(next) { throw error("leading zero in number") }
        } else {
            while let digit = current, Self.isDigit(digit) {
                magnitude = magnitude.flatMap { Self.appendingDigit(digit, to: $0) }
                position += 1
            }
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard skipDigits() > 0 else { throw error("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw error("invalid number") }
        }
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(literal) else { throw error("invalid number") }
        return JSONNumber(value: value, isNegative: isNegative, isInteger: isInteger, magnitude: isInteger ? magnitude : nil)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = position
        while let byte = current, Self.isDigit(byte) {
            position += 1
        }
        return position - start
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func appendingDigit(_ digit: UInt8, to value: UInt64) -> UInt64? {
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
        return overflow1 || overflow2 ? nil : sum
    }

    private mutating func parseString() throws(StrictJSONSyntaxError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, the text is the bytes between the quotes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            position += 1
        }
        var buffer = Array(bytes[start..<position])
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer)
            case 0..<0x20:
                position -= 1
                throw error("control character in a string")
            default:
                buffer.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(StrictJSONSyntaxError) {
        guard let byte = current else { throw error("unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var value = try parseHex4()
            if (0xD800..<0xDC00).contains(value) {
                guard current == UInt8(ascii: "\\"), position + 1 < bytes.count,
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw error("lone surrogate in a \\u escape") }
                position += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate in a \\u escape") }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(value) {
                throw error("lone surrogate in a \\u escape")
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("invalid \\u escape") }
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            position -= 1
            throw error("invalid escape")
        }
    }

    private mutating func parseHex4() throws(StrictJSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("unterminated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
