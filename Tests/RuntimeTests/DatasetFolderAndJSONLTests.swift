import Foundation
import Testing

@testable import Runtime

@Suite struct DatasetImageFolderTests {
    typealias F = DatasetFixtures

    @Test func classesLabelsAndIds() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(F.imageBytes(0), "zebra/b.png", in: folder)
        try F.write(F.imageBytes(1), "zebra/a.JPG", in: folder)
        try F.write(F.imageBytes(2), "zebra/nested/c.webp", in: folder)
        try F.write(F.imageBytes(3), "ant/x.jpeg", in: folder)
        try F.write("not an image", "ant/notes.txt", in: folder)
        try F.write(F.imageBytes(4), "ant/.hidden.jpg", in: folder)
        try F.write(F.imageBytes(5), ".git/y.jpg", in: folder)
        try F.write("stray", "README.md", in: folder)

        let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .imagefolder))
        #expect(reader.classNames == ["ant", "zebra"])
        #expect(reader.defaultTask == .classification)
        let items = try F.items(reader)
        #expect(items.map(\.id) == ["ant/x.jpeg", "zebra/a.JPG", "zebra/b.png", "zebra/nested/c.webp"])
        #expect(items.map(\.label) == [0, 1, 1, 1])
        #expect(items.map(\.index) == [0, 1, 2, 3])
        #expect(F.file(items[3])?.path == folder.path + "/zebra/nested/c.webp")
        #expect(try F.items(reader).map(\.id) == items.map(\.id))
    }

    @Test func splitFolderAndClassNames() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(F.imageBytes(0), "val/n02/a.jpg", in: folder)
        try F.write(F.imageBytes(1), "val/n01/b.jpg", in: folder)
        try F.write("goldfish\nshark\n", "classnames.txt", in: folder)
        try F.write("a photo of a {c}.\n", "t.txt", in: folder)
        let spec = DatasetSpec(
            path: folder.path, format: .imagefolder, split: "val", templatesFile: folder.path + "/t.txt")
        let reader = try DatasetReaders.open(spec)
        #expect(reader.classNames == ["goldfish", "shark"])
        #expect(reader.templates == ["a photo of a {c}."])
        #expect(try F.items(reader).map(\.id) == ["n01/b.jpg", "n02/a.jpg"])

        try F.write("goldfish\n", "classnames.txt", in: folder)
        let mismatch = F.error { _ = try DatasetReaders.open(spec) }
        #expect(mismatch?.kind == .data)
        #expect(mismatch?.message.contains("1 class names for 2 class folders") == true)
    }

    @Test func emptyOrMissing() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(
            F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .imagefolder)) }?.kind
                == .noInput)
        try F.write("x", "cls/readme.txt", in: folder)
        let empty = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .imagefolder)) }
        #expect(empty?.kind == .noInput)
        #expect(empty?.message.contains(folder.path) == true)
    }
}

@Suite struct DatasetJSONLinesTests {
    typealias F = DatasetFixtures

    @Test func recordsIdsAndPaths() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = [
            #"{"image": "img/a.jpg", "caption": "a cat"}"#,
            "",
            #"{"image": "/abs/b.png", "captions": ["one", "two"], "label": 3, "id": "bee"}"#,
            #"{"image": "../c.webp", "caption": "c", "captions": ["d"], "id": 42, "extra": {"x": [1]}}"#,
            "   ",
        ]
        let file = try F.write(lines.joined(separator: "\n") + "\n", "data/pairs.jsonl", in: folder)
        let reader = try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl))
        #expect(reader.defaultTask == .pairs)
        let items = try F.items(reader)
        #expect(items.map(\.id) == ["line-1", "bee", "42"])
        #expect(items.map(\.index) == [0, 1, 2])
        #expect(items.map(\.captions) == [["a cat"], ["one", "two"], ["c", "d"]])
        #expect(items.map(\.label) == [nil, 3, nil])
        #expect(
            items.map { F.file($0)?.path } == [folder.path + "/data/img/a.jpg", "/abs/b.png", folder.path + "/c.webp"])
        #expect(try F.items(reader).map(\.id) == items.map(\.id))
    }

    @Test func folderWithSplitAndLabelNames() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(
            "{\"image\": \"a.jpg\", \"label\": \"dog\"}\r\n{\"image\": \"b.jpg\", \"label\": 0}", "train.jsonl",
            in: folder)
        try F.write("{\"image\": \"t.jpg\", \"label\": 1}\n", "test.jsonl", in: folder)
        try F.write("cat\ndog\n", "classnames.txt", in: folder)
        let train = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .jsonl))
        #expect(train.defaultTask == .classification)
        #expect(try F.items(train).map(\.label) == [1, 0])
        let test = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .jsonl, split: "test"))
        #expect(try F.items(test).map(\.id) == ["line-1"])
        let missing = F.error {
            _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .jsonl, split: "val"))
        }
        #expect(missing?.kind == .noInput)
        #expect(missing?.message.contains("val.jsonl") == true)
    }

    @Test func badLinesNameFileAndLine() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try F.write(
            [
                #"{"image": "a.jpg"}"#, "", #"{"image": "b.jpg", oops}"#, #"{"caption": "no image"}"#,
                #"{"image": "c.jpg", "label": true}"#, "[1]", #"{"image": "d.jpg"}"#,
            ].joined(separator: "\n") + "\n",
            "x.jsonl", in: folder)
        let reader = try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl))
        let iterator = try reader.makeIterator()
        #expect(try iterator.next()?.id == "line-1")
        let error = F.error { _ = try iterator.next() }
        #expect(error?.kind == .data)
        #expect(error?.message.hasPrefix(file.path + ":3: ") == true)
        #expect(try iterator.next() == nil)

        let lenient = try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl, skipBad: true))
        let skipping = try lenient.makeIterator()
        var ids: [String] = []
        while let item = try skipping.next() { ids.append(item.id) }
        #expect(ids == ["line-1", "line-7"])
        #expect(skipping.skippedCount == 4)
        let reasons = skipping.skipReasons
        #expect(reasons.count == 4)
        #expect(reasons[1].hasPrefix(file.path + ":4: ") && reasons[1].contains("\"image\""))
        #expect(reasons[2].hasPrefix(file.path + ":5: ") && reasons[2].contains("label"))
        #expect(reasons[3].hasPrefix(file.path + ":6: "))
    }

    @Test func duplicateIds() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try F.write(
            "{\"image\": \"a.jpg\", \"id\": 7}\n{\"image\": \"b.jpg\", \"id\": \"7\"}\n", "d.jsonl", in: folder)
        let error = F.error { _ = try F.items(try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl))) }
        #expect(error?.kind == .data)
        #expect(error?.message == "\(file.path):2: the id \"7\" was already used on line 1")
    }

    @Test func emptyFileIsNoInput() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try F.write("\n\n", "e.jsonl", in: folder)
        #expect(F.error { _ = try DatasetReaders.open(DatasetSpec(path: file.path, format: .jsonl)) }?.kind == .noInput)
    }
}
