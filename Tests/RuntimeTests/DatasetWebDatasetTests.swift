import Foundation
import Testing

@testable import Runtime
@testable import ZooDatasets

@Suite struct DatasetWebDatasetTests {
    typealias F = DatasetFixtures

    /// Shards `pairs-00000.tar`, `pairs-00001.tar`, … of `perShard` jpg+txt(+json) samples.
    private func writePairShards(_ shards: Int, perShard: Int, in folder: URL) throws {
        for shard in 0..<shards {
            var members: [(name: String, bytes: [UInt8])] = []
            for sample in 0..<perShard {
                let key = String(format: "s%04d", shard * perShard + sample)
                members.append(("\(key).jpg", F.imageBytes(shard * perShard + sample)))
                members.append(("\(key).txt", Array("  caption \(key)\n".utf8)))
                members.append(("\(key).json", Array("{}".utf8)))
            }
            try F.write(F.tar(members), String(format: "pairs-%05d.tar", shard), in: folder)
        }
    }

    @Test func bracePatternPairs() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writePairShards(2, perShard: 3, in: folder)
        let spec = DatasetSpec(path: folder.path + "/pairs-{00000..00001}.tar", format: .wds)
        let reader = try DatasetReaders.open(spec)
        #expect(reader.defaultTask == .pairs)
        #expect(reader.classNames == nil && reader.templates == nil)
        let items = try F.items(reader)
        #expect(items.map(\.index) == Array(0..<6))
        #expect(
            items.map(\.id) == [
                "pairs-00000.tar/s0000", "pairs-00000.tar/s0001", "pairs-00000.tar/s0002",
                "pairs-00001.tar/s0003", "pairs-00001.tar/s0004", "pairs-00001.tar/s0005",
            ])
        #expect(items[4].captions == ["caption s0004"])
        #expect(items.allSatisfy { $0.label == nil })
        let image = try #require(F.encoded(items[4]))
        #expect(image.bytes == F.imageBytes(4))
        #expect(image.name == folder.path + "/pairs-00001.tar:s0004.jpg")
        let again = try F.items(reader)
        #expect(again.map(\.id) == items.map(\.id))
        #expect(again.map { F.encoded($0)?.bytes } == items.map { F.encoded($0)?.bytes })
    }

    @Test func singleTarAndFolderOfTars() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writePairShards(3, perShard: 2, in: folder)
        let single = try DatasetReaders.open(DatasetSpec(path: folder.path + "/pairs-00001.tar", format: .wds))
        #expect(try F.items(single).map(\.id) == ["pairs-00001.tar/s0002", "pairs-00001.tar/s0003"])
        let all = try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds)))
        #expect(
            all.map(\.id).map { $0.prefix(11) } == [
                "pairs-00000", "pairs-00000", "pairs-00001", "pairs-00001", "pairs-00002", "pairs-00002",
            ])
    }

    @Test func braceExpansion() throws {
        #expect(
            try BraceExpansion.expand("/d/p-{00000..00002}.tar") == [
                "/d/p-00000.tar", "/d/p-00001.tar", "/d/p-00002.tar",
            ])
        #expect(try BraceExpansion.expand("{8..11}") == ["8", "9", "10", "11"])
        #expect(try BraceExpansion.expand("{098..100}") == ["098", "099", "100"])
        #expect(try BraceExpansion.expand("{3..1}") == ["3", "2", "1"])
        #expect(try BraceExpansion.expand("{a,b}-{0..1}") == ["a-0", "a-1", "b-0", "b-1"])
        #expect(try BraceExpansion.expand("plain.tar") == ["plain.tar"])
        for bad in ["p-{0..2.tar", "p-}0.tar", "p-{x..y}.tar", "p-{1}.tar", "p-{{0..1}}.tar"] {
            #expect(F.error { _ = try BraceExpansion.expand(bad) }?.kind == .usage, "\(bad)")
        }
    }

    @Test func missingShardIsNoInput() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writePairShards(2, perShard: 1, in: folder)
        let error = F.error {
            _ = try DatasetReaders.open(DatasetSpec(path: folder.path + "/pairs-{00000..00003}.tar", format: .wds))
        }
        #expect(error?.kind == .noInput)
        #expect(error?.message.contains("2 of 4 shards missing") == true)
        #expect(error?.message.contains("pairs-00002.tar") == true)
    }

    /// A CLIP_benchmark folder: `test/nshards.txt`, `test/0.tar`, `test/1.tar` (the second made by
    /// `/usr/bin/tar`), class names and templates.
    @Test func clipBenchmarkLayout() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write("cat\n\n  dog  \nbird\n", "classnames.txt", in: folder)
        try F.write("a photo of a {c}.\na drawing of a {c}.\n", "zeroshot_classification_templates.txt", in: folder)
        try F.write("2\n", "test/nshards.txt", in: folder)
        try F.write(
            F.tar([
                ("s0000000.webp", F.imageBytes(0)), ("s0000000.cls", Array("2\n".utf8)),
                ("s0000001.webp", F.imageBytes(1)), ("s0000001.cls", Array(" 0 ".utf8)),
            ]), "test/0.tar", in: folder)
        let staging = folder.appendingPathComponent("staging")
        try F.write(F.imageBytes(2), "s0000002.webp", in: staging)
        try F.write("1", "s0000002.cls", in: staging)
        try F.run("/usr/bin/tar", ["-cf", folder.path + "/test/1.tar", "s0000002.webp", "s0000002.cls"], in: staging)

        let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds))
        #expect(reader.classNames == ["cat", "dog", "bird"])
        #expect(reader.templates == ["a photo of a {c}.", "a drawing of a {c}."])
        #expect(reader.defaultTask == .classification)
        #expect((reader as? WebDatasetReader)?.isBenchmarkLayout == true)
        let items = try F.items(reader)
        #expect(items.map(\.id) == ["0.tar/s0000000", "0.tar/s0000001", "1.tar/s0000002"])
        #expect(items.map(\.label) == [2, 0, 1])
        #expect(F.encoded(items[2])?.bytes == F.imageBytes(2))
        #expect(F.encoded(items[2])?.name.hasSuffix("/test/1.tar:s0000002.webp") == true)

        let other = F.error {
            _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds, split: "train"))
        }
        #expect(other?.kind == .noInput)
        try F.write("3\n", "test/nshards.txt", in: folder)
        let missing = F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds)) }
        #expect(missing?.kind == .noInput)
        #expect(missing?.message.contains("2.tar") == true)
        try F.write("three\n", "test/nshards.txt", in: folder)
        #expect(F.error { _ = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds)) }?.kind == .data)
    }

    @Test func benchmarkRetrievalCaptionsPerLine() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write("1", "test/nshards.txt", in: folder)
        try F.write(
            F.tar([("s0.jpg", F.imageBytes(0)), ("s0.txt", Array("a dog\na brown dog\n\n".utf8))]), "test/0.tar",
            in: folder)
        let reader = try DatasetReaders.open(DatasetSpec(path: folder.path, format: .wds))
        #expect(reader.defaultTask == .retrieval)
        #expect(try F.items(reader).first?.captions == ["a dog", "a brown dog"])
    }

    @Test func clsParsingAndRange() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(
            F.tar([("dir/a.b.PNG", F.imageBytes(0)), ("dir/a.b.cls", Array("\t7\r\n".utf8))]), "ok.tar", in: folder)
        let items = try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path + "/ok.tar", format: .wds)))
        #expect(items.map(\.id) == ["ok.tar/dir/a"])
        #expect(items.map(\.label) == [7])
        #expect(F.encoded(items[0])?.name.hasSuffix("ok.tar:dir/a.png") == true)

        try F.write(F.tar([("x.jpg", F.imageBytes(0)), ("x.cls", Array("seven".utf8))]), "bad.tar", in: folder)
        let bad = F.error {
            _ = try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path + "/bad.tar", format: .wds)))
        }
        #expect(bad?.kind == .data)
        #expect(bad?.message.contains("bad.tar: sample x") == true)

        try F.write("cat\ndog\n", "names.txt", in: folder)
        let spec = DatasetSpec(path: folder.path + "/ok.tar", format: .wds, classnamesFile: folder.path + "/names.txt")
        let range = F.error { _ = try F.items(try DatasetReaders.open(spec)) }
        #expect(range?.kind == .data)
        #expect(range?.message.contains("label 7 is outside 0..<2") == true)
    }

    @Test func sampleWithoutImage() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(
            F.tar([
                ("a.jpg", F.imageBytes(0)), ("a.txt", Array("one".utf8)),
                ("b.txt", Array("no image".utf8)), ("b.json", Array("{}".utf8)),
                ("c.jpg", F.imageBytes(2)), ("c.txt", Array("three".utf8)),
            ]), "s.tar", in: folder)
        let strict = try DatasetReaders.open(DatasetSpec(path: folder.path + "/s.tar", format: .wds))
        let iterator = try strict.makeIterator()
        #expect(try iterator.next()?.id == "s.tar/a")
        let error = F.error { _ = try iterator.next() }
        #expect(error?.kind == .data)
        #expect(error?.message.contains("/s.tar: sample b has no image") == true)
        #expect(try iterator.next() == nil)

        let lenient = try DatasetReaders.open(DatasetSpec(path: folder.path + "/s.tar", format: .wds, skipBad: true))
        let skipping = try lenient.makeIterator()
        var ids: [String] = []
        while let item = try skipping.next() { ids.append(item.id) }
        #expect(ids == ["s.tar/a", "s.tar/c"])
        #expect(skipping.skippedCount == 1)
        #expect(skipping.skipReasons.first?.contains("sample b") == true)
    }

    @Test func truncatedShard() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = (0..<4).map { (name: "k\($0).jpg", bytes: F.imageBytes($0, count: 3000)) }
        let whole = F.tar(big)
        try F.write(Array(whole[0..<(512 + 3072 + 512 + 1000)]), "part-0.tar", in: folder)
        try F.write(F.tar([("z.jpg", F.imageBytes(9))]), "part-1.tar", in: folder)
        let pattern = folder.path + "/part-{0..1}.tar"

        let strict = try DatasetReaders.open(DatasetSpec(path: pattern, format: .wds))
        let iterator = try strict.makeIterator()
        #expect(try iterator.next()?.id == "part-0.tar/k0")
        let error = F.error { _ = try iterator.next() }
        #expect(error?.kind == .data)
        #expect(error?.message.contains("part-0.tar") == true)

        let lenient = try DatasetReaders.open(DatasetSpec(path: pattern, format: .wds, skipBad: true))
        let skipping = try lenient.makeIterator()
        var ids: [String] = []
        while let item = try skipping.next() { ids.append(item.id) }
        #expect(ids == ["part-0.tar/k0", "part-1.tar/z"])
        #expect(skipping.skippedCount == 1)

        try F.write(Array("this is not a tar archive at all".utf8), "junk.tar", in: folder)
        let junk = F.error {
            _ = try F.items(try DatasetReaders.open(DatasetSpec(path: folder.path + "/junk.tar", format: .wds)))
        }
        #expect(junk?.kind == .data)
        #expect(junk?.message.contains("junk.tar") == true)
    }

    /// 2,000 samples stream through: after the first item only the start of the shard was read,
    /// and no more than one sample's bytes were held.
    @Test func streamsLargeShard() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var members: [(name: String, bytes: [UInt8])] = []
        for sample in 0..<2000 {
            members.append((String(format: "%05d.jpg", sample), F.imageBytes(sample, count: 2048)))
            members.append((String(format: "%05d.cls", sample), Array(String(sample % 10).utf8)))
        }
        let url = try F.write(F.tar(members), "big.tar", in: folder)
        let size = try Int64(Data(contentsOf: url).count)
        let reader = try #require(
            try DatasetReaders.open(DatasetSpec(path: url.path, format: .wds)) as? WebDatasetReader)
        let iterator = reader.makeWebDatasetIterator()
        #expect(try iterator.next()?.id == "big.tar/00000")
        #expect(iterator.bytesConsumed > 0 && iterator.bytesConsumed < size / 8)
        var count = 1
        while let item = try iterator.next() {
            #expect(item.index == count)
            count += 1
        }
        #expect(count == 2000)
        #expect(iterator.peakSampleBytes <= 2048 + 3 + 1)
    }
}
