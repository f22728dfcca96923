import Foundation
import Testing

@testable import Runtime
@testable import ZooDatasets

/// Captions are data: every character of a caption, U+FEFF included, reaches the tokenizer; only
/// a byte-order mark at the very start of a file (a .jsonl file, a WebDataset caption member, a
/// class-name or template list) is dropped.
@Suite("Dataset texts keep their characters")
struct DatasetTextCharactersTests {
    typealias F = DatasetFixtures
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    @Test("JSON Lines: the file's BOM is dropped, U+FEFF inside captions is kept")
    func jsonLines() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "{\"image\": \"a.jpg\", \"caption\": \"\u{FEFF}a cat\u{FEFF}\"}\n{\"image\": \"b.jpg\", \"captions\": [\"\\ufeffb\", \"x\\t\u{FEFF}\"]}\n"
        let file = try F.write(Self.bom + Array(text.utf8), "pairs.jsonl", in: folder)
        let items = try F.items(try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl)))
        #expect(items.map(\.captions) == [["\u{FEFF}a cat\u{FEFF}"], ["\u{FEFF}b", "x\t\u{FEFF}"]])
    }

    @Test("WebDataset: a caption member's BOM is dropped, U+FEFF inside is kept")
    func webDataset() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let members: [(name: String, bytes: [UInt8])] = [
            ("s0.jpg", F.imageBytes(0)), ("s0.txt", Self.bom + Array("\u{FEFF}zebra\u{FEFF}\n".utf8)),
            ("s1.jpg", F.imageBytes(1)), ("s1.txt", Array("a\u{FEFF}b".utf8)),
        ]
        try F.write(F.tar(members), "pairs-00000.tar", in: folder)
        let items = try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path + "/pairs-00000.tar", format: .wds)))
        #expect(items.map(\.captions) == [["\u{FEFF}zebra\u{FEFF}"], ["a\u{FEFF}b"]])
    }

    @Test("class names and templates: the file's BOM is dropped, U+FEFF inside a line is kept")
    func lists() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = try F.write(Self.bom + Array("cat\nzeb\u{FEFF}ra\n".utf8), "classnames.txt", in: folder)
        #expect(try TextListFile.classNames(at: names.path) == ["cat", "zeb\u{FEFF}ra"])
        let templates = try F.write(Self.bom + Array("a photo of a {c}.\u{FEFF}\n".utf8), "templates.txt", in: folder)
        #expect(try TextListFile.templates(at: templates.path) == ["a photo of a {c}.\u{FEFF}"])
    }
}
