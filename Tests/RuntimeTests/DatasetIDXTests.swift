import Foundation
import Testing

@testable import Runtime

@Suite struct DatasetIDXTests {
    typealias F = DatasetFixtures

    private func writeSplit(_ prefix: String, count: Int, in folder: URL, gzip: Bool = false) throws {
        try F.write(F.idxImages(count: count), "\(prefix)-images-idx3-ubyte", in: folder)
        try F.write(F.idxLabels(count: count), "\(prefix)-labels-idx1-ubyte", in: folder)
        if gzip {
            try F.run(
                "/usr/bin/gzip", ["-f", "\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte"], in: folder)
        }
    }

    private func check(_ items: [DatasetItem], count: Int, split: String) {
        #expect(items.count == count)
        #expect(items.map(\.id) == (0..<count).map { String(format: "\(split)/%05d", $0) })
        #expect(items.map(\.label) == (0..<count).map { $0 % 10 })
        for item in items {
            guard case .decoded(let image) = item.image else {
                Issue.record("\(item.id) is not decoded")
                continue
            }
            #expect(image.width == 28 && image.height == 28)
            let grey = UInt8(truncatingIfNeeded: item.index * 7 + 28 * 5 + 3)
            #expect(image[3, 5] == (grey, grey, grey))
        }
    }

    @Test func plainFolderAndFile() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeSplit("train", count: 12, in: folder)
        try writeSplit("t10k", count: 5, in: folder)
        try F.write("zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n", "classnames.txt", in: folder)
        let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx))
        #expect(reader.defaultTask == .classification)
        #expect(reader.classNames?.count == 10)
        let items = try F.items(reader)
        check(items, count: 12, split: "train")
        #expect(try F.items(reader).map(\.id) == items.map(\.id))
        check(
            try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx, split: "test"))), count: 5,
            split: "test")
        let file = DatasetSpec(path: folder.path + "/t10k-images-idx3-ubyte", format: .idx)
        check(try F.items(try DatasetReaders.open(file)), count: 5, split: "test")
        let split = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx, split: "val")) }
        #expect(split?.kind == .usage)
    }

    @Test func gzipped() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeSplit("train", count: 30, in: folder, gzip: true)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/train-images-idx3-ubyte.gz"))
        let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx))
        #expect((reader as? IDXReader)?.imagesFile.hasSuffix(".gz") == true)
        check(try F.items(reader), count: 30, split: "train")
        let file = try DatasetReaders.open(DatasetSpec(path: folder.path + "/train-images-idx3-ubyte.gz", format: .idx))
        #expect((file as? IDXReader)?.labelsFile == folder.path + "/train-labels-idx1-ubyte.gz")
        #expect(try DatasetSummary.summarize(file) == DatasetSummary.summarize(reader))
    }

    @Test func wrongMagic() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(F.idxImages(count: 2, magic: 0x0801), "train-images-idx3-ubyte", in: folder)
        try F.write(F.idxLabels(count: 2), "train-labels-idx1-ubyte", in: folder)
        let error = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx)) }
        #expect(error?.kind == .data)
        #expect(
            error?.message.contains("train-images-idx3-ubyte: bad IDX magic 0x00000801, expected 0x00000803") == true)

        try F.write(F.idxImages(count: 2), "train-images-idx3-ubyte", in: folder)
        try F.write(F.idxLabels(count: 3), "train-labels-idx1-ubyte", in: folder)
        let counts = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx)) }
        #expect(counts?.kind == .data)
        #expect(counts?.message.contains("3 labels for the 2 images") == true)
    }

    @Test func truncated() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = F.idxImages(count: 4)
        try F.write(Array(images.dropLast(100)), "train-images-idx3-ubyte", in: folder)
        try F.write(F.idxLabels(count: 4), "train-labels-idx1-ubyte", in: folder)
        let error = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx)) }
        #expect(error?.kind == .data)
        #expect(
            error?.message.contains(
                "train-images-idx3-ubyte: truncated: \(images.count - 100) bytes, expected \(images.count)") == true)

        try F.write(Array(images[0..<10]), "train-images-idx3-ubyte", in: folder)
        #expect(F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx)) }?.kind == .data)

        // A gzip stream cut short: caught by the trailer check or while reading.
        try F.write(images, "train-images-idx3-ubyte", in: folder)
        try F.run("/usr/bin/gzip", ["-f", "train-images-idx3-ubyte"], in: folder)
        let gz = folder.appendingPathComponent("train-images-idx3-ubyte.gz")
        let compressed = [UInt8](try Data(contentsOf: gz))
        try F.write(Array(compressed.dropLast(30)), "train-images-idx3-ubyte.gz", in: folder)
        let cut = F.error {
            let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx))
            let iterator = try reader.makeIterator()
            while try iterator.next() != nil {}
        }
        #expect(cut?.kind == .data)
        #expect(cut?.message.contains("train-images-idx3-ubyte.gz") == true)
    }

    @Test func missing() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .idx)) }
        #expect(error?.kind == .noInput)
        #expect(error?.message.contains("train-images-idx3-ubyte") == true)
    }
}
