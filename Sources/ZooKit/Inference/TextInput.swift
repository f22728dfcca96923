import Foundation
import Registry
import Runtime

/// One text to tokenize or encode, with its id.
public struct TextItem: Sendable, Equatable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// Reads `--text` values or an `--input` file: one text per line, or JSON lines with `text`
/// (and optional `id`). Lines are validated as UTF-8; a bad line is exit 65 naming it.
///
/// A text's characters are data: only a UTF-8 byte-order mark at the very start of the file is
/// dropped, and a line's final CR (CRLF files). Every other character, U+FEFF included, reaches
/// the tokenizer as written (scripts/tokenizer_fuzz.py checks this against `tokenizers`).
public enum TextInput {
    /// The texts of `--text` values (ids 1, 2, …) or of an `--input` file; exactly one of the two.
    public static func items(texts: [String], input: String?) throws -> [TextItem] {
        switch (texts.isEmpty, input) {
        case (false, nil):
            return texts.enumerated().map { TextItem(id: String($0.offset + 1), text: $0.element) }
        case (true, let path?):
            return try read(path)
        case (false, _?):
            throw ZooError(.usage, "pass either --text or --input, not both")
        case (true, nil):
            throw ZooError(.usage, "pass --text STR or --input FILE (one text per line, or JSON lines with \"text\")")
        }
    }

    /// The texts of a file (or `-` for standard input), one per line or as JSON lines.
    public static func read(_ path: String) throws -> [TextItem] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ZooError(.noInput, "input file '\(path)' does not exist")
            }
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw ZooError(.io, "cannot read '\(path)': \(error.localizedDescription)")
            }
        }
        let body = ByteOrderMark.stripped(data)
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var items: [TextItem] = []
        items.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            var bytes = Array(rawLine)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw ZooError(.data, "'\(path)' line \(index + 1) is not valid UTF-8; re-encode the file as UTF-8")
            }
            if line.hasPrefix("{") {
                items.append(try jsonItem(line, path: path, line: index + 1))
            } else {
                items.append(TextItem(id: String(index + 1), text: line))
            }
        }
        return items
    }

    /// The fields of a JSON line. (JSONDecoder, not JSONSerialization: on Linux the latter drops
    /// a raw U+FEFF at the start of a string value.)
    private struct Line: Decodable {
        /// nil when the field is missing or not a string.
        var text: String?
        var id: Identifier?

        enum CodingKeys: String, CodingKey { case text, id }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try? container.decodeIfPresent(String.self, forKey: .text)
            id = try container.decodeIfPresent(Identifier.self, forKey: .id)
        }
    }

    /// A line's `id`: a string or a number, as written.
    private enum Identifier: Decodable {
        case text(String)
        case number(String)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(String.self) {
                self = .text(value)
            } else if let value = try? container.decode(Int.self) {
                self = .number(String(value))
            } else if let value = try? container.decode(Double.self) {
                self = .number(String(value))
            } else {
                self = .other
            }
        }
    }

    private static func jsonItem(_ line: String, path: String, line number: Int) throws -> TextItem {
        let decoded: Line
        do { decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8)) } catch {
            throw ZooError(.data, "'\(path)' line \(number) starts with '{' but is not a JSON object; fix the line or remove the brace")
        }
        guard let text = decoded.text else {
            throw ZooError(.data, "'\(path)' line \(number) has no string field \"text\"")
        }
        let id: String
        switch decoded.id {
        case .text(let value), .number(let value): id = value
        case nil: id = String(number)
        case .other: throw ZooError(.data, "'\(path)' line \(number): \"id\" must be a string or a number")
        }
        return TextItem(id: id, text: text)
    }
}
