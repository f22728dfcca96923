import Foundation
import Testing

@testable import Runtime

/// Builders for small dataset fixtures written into a fresh temporary folder.
enum DatasetFixtures {
    /// A new empty folder, removed by the caller's `defer`.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "zoo-dataset-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` at `path` inside `folder`, creating sub-folders.
    @discardableResult
    static func write(_ bytes: [UInt8], _ path: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    /// Writes UTF-8 `text` at `path` inside `folder`.
    @discardableResult
    static func write(_ text: String, _ path: String, in folder: URL) throws -> URL {
        try write(Array(text.utf8), path, in: folder)
    }

    /// Fake image bytes: readers never decode, so any bytes do; distinct per `seed`.
    static func imageBytes(_ seed: Int, count: Int = 16) -> [UInt8] {
        [0xFF, 0xD8, 0xFF] + (0..<count).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0) }
    }

    /// A POSIX ustar archive of `members` (names under 100 bytes), ending in two zero blocks.
    static func tar(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for member in members {
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte }
            }
            func octal(_ value: Int, width: Int) -> String {
                let digits = String(value, radix: 8)
                return String(repeating: "0", count: width - 1 - digits.count) + digits
            }
            put(member.name, at: 0)
            put(octal(0o644, width: 8), at: 100)
            put(octal(0, width: 8), at: 108)
            put(octal(0, width: 8), at: 116)
            put(octal(member.bytes.count, width: 12), at: 124)
            put(octal(1_700_000_000, width: 12), at: 136)
            put("        ", at: 148)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257)
            put("00", at: 263)
            let sum = header.reduce(0) { $0 + Int($1) }
            put(octal(sum, width: 7), at: 148)
            header[154] = 0
            header[155] = UInt8(ascii: " ")
            out += header
            out += member.bytes
            out += [UInt8](repeating: 0, count: (512 - member.bytes.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// Runs `/usr/bin/tool arguments` in `folder` and checks it succeeded.
    static func run(_ tool: String, _ arguments: [String], in folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) \(arguments) failed")
    }

    /// An IDX images file: `count` images of `rows`×`columns`, pixel = (image * 7 + offset) & 0xFF.
    static func idxImages(count: Int, rows: Int = 28, columns: Int = 28, magic: UInt32 = 0x0803) -> [UInt8] {
        var bytes = bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns))
        for image in 0..<count {
            bytes += (0..<rows * columns).map { UInt8(truncatingIfNeeded: image * 7 + $0) }
        }
        return bytes
    }

    /// An IDX labels file: label = image % 10.
    static func idxLabels(count: Int, magic: UInt32 = 0x0801) -> [UInt8] {
        bigEndian(magic) + bigEndian(UInt32(count)) + (0..<count).map { UInt8($0 % 10) }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// All items of a fresh iterator of `reader`.
    static func items(_ reader: any DatasetReader) throws -> [DatasetItem] {
        let iterator = try reader.makeIterator()
        var items: [DatasetItem] = []
        while let item = try iterator.next() { items.append(item) }
        return items
    }

    /// The ``DatasetError`` `body` throws, failing the test when it throws none or another error.
    static func error(_ body: () throws -> Void) -> DatasetError? {
        do {
            try body()
            Issue.record("expected a DatasetError")
            return nil
        } catch let error as DatasetError {
            return error
        } catch {
            Issue.record("expected a DatasetError, got \(error)")
            return nil
        }
    }

    /// The encoded bytes of an item's image.
    static func encoded(_ item: DatasetItem) -> (bytes: [UInt8], name: String)? {
        if case .encoded(let bytes, let name) = item.image { return (bytes, name) }
        return nil
    }

    /// The file URL of an item's image.
    static func file(_ item: DatasetItem) -> URL? {
        if case .file(let url) = item.image { return url }
        return nil
    }
}
