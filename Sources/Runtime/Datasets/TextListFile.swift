import Foundation

/// Reads the one-entry-a-line text files that come with datasets (class names, caption templates):
/// UTF-8, lines trimmed, empty lines skipped.
public enum TextListFile {
    /// The non-empty trimmed lines of `path` with their 1-based line numbers.
    static func lines(at path: String, what: String) throws(DatasetError) -> [(number: Int, text: String)] {
        let bytes = try DatasetPaths.readSmallFile(path, what: what)
        guard let text = String(validating: ByteOrderMark.stripped(bytes), as: UTF8.self) else {
            throw DatasetError(.data, "\(path): not UTF-8 text (expected \(what))")
        }
        var result: [(number: Int, text: String)] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { result.append((offset + 1, trimmed)) }
        }
        return result
    }

    /// The class names in `path`, one per line; a file without any is a data error.
    public static func classNames(at path: String) throws(DatasetError) -> [String] {
        let names = try lines(at: path, what: "class names, one per line").map(\.text)
        guard !names.isEmpty else { throw DatasetError(.data, "\(path): no class names in the file") }
        return names
    }

    /// The caption templates in `path`, one per line, each containing `{c}`.
    public static func templates(at path: String) throws(DatasetError) -> [String] {
        let entries = try lines(at: path, what: "caption templates containing {c}, one per line")
        for entry in entries where !entry.text.contains("{c}") {
            throw DatasetError(.data, "\(path):\(entry.number): the template \"\(entry.text)\" has no {c}")
        }
        guard !entries.isEmpty else { throw DatasetError(.data, "\(path): no templates in the file") }
        return entries.map(\.text)
    }
}
