import Foundation
import Registry

/// One text to tokenize or encode, with its id.
struct TextItem: Sendable {
    var id: String
    var text: String
}

/// Reads `--text` values or an `--input` file: one text per line, or JSON lines with `text`
/// (and optional `id`). Lines are validated as UTF-8; a bad line is exit 65 naming it.
enum TextInput {
    static func items(texts: [String], input: String?) throws -> [TextItem] {
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

    static func read(_ path: String) throws -> [TextItem] {
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
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
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

    private static func jsonItem(_ line: String, path: String, line number: Int) throws -> TextItem {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ZooError(.data, "'\(path)' line \(number) starts with '{' but is not a JSON object; fix the line or remove the brace")
        }
        guard let text = object["text"] as? String else {
            throw ZooError(.data, "'\(path)' line \(number) has no string field \"text\"")
        }
        let id: String
        switch object["id"] {
        case let value as String: id = value
        case let value as NSNumber: id = value.stringValue
        case nil: id = String(number)
        default: throw ZooError(.data, "'\(path)' line \(number): \"id\" must be a string or a number")
        }
        return TextItem(id: id, text: text)
    }
}
