import Foundation

/// Streams the records of a JSON Lines file; keeps only the ids seen, to refuse repeats.
final class JSONLinesIterator: DatasetIterator {
    private let file: String
    private let folder: String
    private let metadata: ClassMetadata
    private let skipBad: Bool
    private let lines: LineReader
    private let decoder = JSONDecoder()
    private var firstLineOfID: [String: Int] = [:]
    private var nextIndex = 0
    private var finished = false
    private var log = SkipLog()

    var skippedCount: Int { log.count }
    var skipReasons: [String] { log.reasons }

    init(file: String, metadata: ClassMetadata, skipBad: Bool) throws(DatasetError) {
        self.file = file
        folder = DatasetPaths.parent(of: file)
        self.metadata = metadata
        self.skipBad = skipBad
        lines = try LineReader(path: file, what: "a .jsonl file, one JSON object a line")
    }

    func next() throws(DatasetError) -> DatasetItem? {
        guard !finished else { return nil }
        do throws(DatasetError) {
            while let line = try lines.nextLine() {
                guard line.contains(where: { !Self.isSpace($0) }) else { continue }
                do throws(DatasetError) {
                    return try item(from: line, number: lines.lineNumber)
                } catch  where skipBad && error.kind == .data {
                    log.record(error)
                }
            }
            finished = true
            guard nextIndex > 0 else {
                let skipped = log.count > 0 ? " (\(log.count) skipped)" : ""
                throw DatasetError(.noInput, "\(file): no records\(skipped) (expected one JSON object a line)")
            }
            return nil
        } catch {
            finished = true
            throw error
        }
    }

    private func item(from raw: [UInt8], number: Int) throws(DatasetError) -> DatasetItem {
        let place = "\(file):\(number)"
        // A byte-order mark at the very start of the file is dropped; elsewhere U+FEFF is data.
        let line = number == 1 ? Array(ByteOrderMark.stripped(raw)) : raw
        let record: JSONLinesRecord
        do {
            record = try decoder.decode(JSONLinesRecord.self, from: Data(line))
        } catch {
            throw DatasetError(.data, "\(place): \(Self.reason(error))")
        }
        guard let image = record.image, !image.isEmpty else {
            throw DatasetError(.data, "\(place): no \"image\" field (the image file's path)")
        }
        var captions: [String] = []
        if let caption = record.caption { captions.append(caption) }
        if let more = record.captions { captions.append(contentsOf: more) }
        var label: Int?
        switch record.label {
        case .integer(let value):
            try metadata.check(label: value, place: place)
            label = value
        case .string(let name):
            guard let names = metadata.classNames, let position = names.firstIndex(of: name) else {
                throw DatasetError(.data, "\(place): the label \"\(name)\" is not an integer nor a known class name")
            }
            label = position
        case nil:
            break
        }
        let id: String
        switch record.id {
        case .string(let value): id = value
        case .integer(let value): id = String(value)
        case nil: id = "line-\(number)"
        }
        if let first = firstLineOfID[id] {
            throw DatasetError(.data, "\(place): the id \"\(id)\" was already used on line \(first)")
        }
        firstLineOfID[id] = number
        let path = image.hasPrefix("/") ? image : DatasetPaths.join(folder, image)
        let index = nextIndex
        nextIndex += 1
        return DatasetItem(
            index: index, id: id, image: .file(URL(fileURLWithPath: path).standardizedFileURL), captions: captions,
            label: label)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// A short explanation of a decoding failure.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "bad JSON: \(error)" }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "bad JSON (\(underlying(context)))" }
            return "\"\(key(context.codingPath))\": \(context.debugDescription)"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "not a JSON object" }
            return "\"\(key(context.codingPath))\" is not \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\"\(key(context.codingPath))\" is null, expected \(typeName(type))"
        case .keyNotFound(let codingKey, _):
            return "no \"\(codingKey.stringValue)\" field"
        @unknown default:
            return "bad JSON: \(error)"
        }
    }

    private static func key(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func typeName(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == [String].self || type is [Any].Type { return "an array of strings" }
        if type == Int.self { return "an integer" }
        return "of type \(type)"
    }

    private static func underlying(_ context: DecodingError.Context) -> String {
        if let error = context.underlyingError {
            let nsError = error as NSError
            if let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
            return nsError.localizedDescription
        }
        return context.debugDescription
    }
}
