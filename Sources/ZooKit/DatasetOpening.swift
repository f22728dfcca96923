import Foundation
import Registry
import Runtime

/// Opens datasets for commands, turning reader errors into zoo errors with exit codes.
public enum DatasetOpening {
    /// The reader for a spec.
    public static func reader(_ spec: DatasetSpec) throws -> any DatasetReader {
        try DatasetReaders.open(spec)
    }

    /// The reader for a catalog row.
    public static func reader(_ record: DatasetRecord) throws -> any DatasetReader {
        try reader(spec(record))
    }

    /// The reader spec a catalog row describes.
    public static func spec(_ record: DatasetRecord) throws -> DatasetSpec {
        guard let format = DatasetFormat(rawValue: record.format) else {
            throw ZooError(.data, "dataset '\(record.name)' has format '\(record.format)', which this zoo cannot read")
        }
        let options = DatasetOptions.parse(record.options)
        return DatasetSpec(
            path: record.path, format: format, split: record.split, classnamesFile: options.classnamesFile,
            templatesFile: options.templatesFile, skipBad: options.skipBad)
    }

    /// The first item, or 66 when the dataset is empty.
    public static func firstItem(_ reader: any DatasetReader) throws -> DatasetItem {
        guard let item = try reader.makeIterator().next() else {
            throw ZooError(.noInput, "dataset at '\(reader.spec.path)' has no items; check --path, --format and --split")
        }
        return item
    }

    /// Caption templates from a file: one per line, each with `{c}`.
    public static func templates(_ path: String) throws -> [String] {
        let lines = try nonEmptyLines(path, what: "templates")
        for (number, line) in lines where !line.contains("{c}") {
            throw ZooError(.data, "\(path):\(number): template '\(line)' has no {c} where the class name goes")
        }
        return lines.map(\.text)
    }

    /// The caption set of `--captions-from-labels`: templates with `{c}` and class-specific lines
    /// `CLASS: caption` (see `LabelCaptioner`), checked against `classNames`.
    public static func captionLines(_ path: String, classNames: [String]) throws -> [String] {
        let lines = try nonEmptyLines(path, what: "caption templates")
        // Line by line first, so an error names the file's own line number.
        for (number, line) in lines {
            if let problem = LabelCaptioner.problem(with: line, classNames: classNames) {
                throw ZooError(.data, "\(path):\(number): \(problem)")
            }
        }
        // Then the set as a whole (every class has a caption).
        do { _ = try LabelCaptioner(classNames: classNames, templates: lines.map(\.text)) } catch {
            throw ZooError(.data, "\(path): \(error.message)")
        }
        return lines.map(\.text)
    }

    /// The trimmed non-empty lines of a UTF-8 text file with their 1-based line numbers.
    private static func nonEmptyLines(_ path: String, what: String) throws -> [(number: Int, text: String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZooError(.noInput, "\(what) file '\(path)' cannot be read; check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ZooError(.data, "\(what) file '\(path)' is not UTF-8 text")
        }
        var lines: [(number: Int, text: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { lines.append((index + 1, trimmed)) }
        }
        guard !lines.isEmpty else { throw ZooError(.data, "\(what) file '\(path)' holds no templates") }
        return lines
    }
}
