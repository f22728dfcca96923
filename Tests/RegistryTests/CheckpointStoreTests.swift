import Foundation
import Testing
@testable import Registry

@Suite("Content-addressed checkpoint store")
struct CheckpointStoreTests {
    @Test("same bytes give the same digest and are stored once")
    func contentAddressing() throws {
        let folder = TemporaryFolder()
        let store = CheckpointStore(root: folder.url.appendingPathComponent("store"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        let first = try store.add(try CheckpointFolder(url: folder.checkpoint("a", seed: 5)), link: false)
        let second = try store.add(try CheckpointFolder(url: folder.checkpoint("b", seed: 5)), link: true)
        let third = try store.add(try CheckpointFolder(url: folder.checkpoint("c", seed: 6)), link: false)
        #expect(first.digest == second.digest)
        #expect(!first.alreadyStored && second.alreadyStored)
        #expect(third.digest != first.digest)
        #expect(try store.entries().digests == [first.digest, third.digest].sorted())
        #expect(try store.entries().leftovers.isEmpty)
        #expect(first.files.map(\.path) == ["1_Pooling/config.json", "config.json", "model.safetensors"])
    }

    @Test("the digest is sha256sum's manifest of the folder, hashed again")
    func digestMatchesSha256sum() throws {
        let folder = TemporaryFolder()
        let source = folder.checkpoint("m", seed: 9)
        let store = CheckpointStore(root: folder.url.appendingPathComponent("store"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        let stored = try store.add(try CheckpointFolder(url: source), link: false)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "cd '\(source.path)' && find . -type f ! -name '.*' | sed 's|^\\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.prefix(64) == stored.digest)
    }

    @Test("verify finds a flipped byte and a deleted file; gc clears leftovers")
    func verifyFindsDamage() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url.appendingPathComponent("home")))
        let a = try zoo.add("enc-a", from: folder.checkpoint("a", seed: 1))
        let b = try zoo.add("enc-b", from: folder.checkpoint("b", seed: 2))
        #expect(try zoo.verify() == VerifyReport(checked: 2))

        let weights = zoo.store.folder(for: a.checkpoint.digest).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[100] ^= 0x01
        try bytes.write(to: weights)
        try FileManager.default.removeItem(at: zoo.store.folder(for: b.checkpoint.digest).appendingPathComponent("config.json"))
        try FileManager.default.createDirectory(at: zoo.store.root.appendingPathComponent(".tmp-interrupted"), withIntermediateDirectories: true)
        let orphan = String(repeating: "ab", count: 32)
        try FileManager.default.createDirectory(at: zoo.store.root.appendingPathComponent(orphan), withIntermediateDirectories: true)

        let report = try zoo.verify()
        #expect(!report.ok)
        #expect(report.corrupt.map(\.file) == ["\(a.checkpoint.digest)/model.safetensors"])
        #expect(report.missing == ["\(b.checkpoint.digest)/config.json"])
        #expect(report.orphaned == [".tmp-interrupted", orphan].sorted { CheckpointDigest.isDigest($0) && !CheckpointDigest.isDigest($1) })

        let removed = try zoo.collectGarbage()
        #expect(Set(removed) == [".tmp-interrupted", orphan])
        let after = try zoo.verify()
        #expect(after.orphaned.isEmpty)
        #expect(after.corrupt.count == 1 && after.missing.count == 1)
    }

    @Test("a folder without config.json or safetensors, or with bad JSON, is refused naming the file")
    func folderChecks() throws {
        let folder = TemporaryFolder()
        #expect(zooError { _ = try CheckpointFolder(url: folder.url.appendingPathComponent("absent")) }?.kind == .noInput)
        folder.write("no-config/model.safetensors", "x")
        let noConfig = zooError { _ = try CheckpointFolder(url: folder.url.appendingPathComponent("no-config")) }
        #expect(noConfig?.kind == .data)
        #expect(noConfig?.message.contains("config.json") == true)
        folder.write("no-weights/config.json", "{}")
        let noWeights = zooError { _ = try CheckpointFolder(url: folder.url.appendingPathComponent("no-weights")) }
        #expect(noWeights?.kind == .data)
        #expect(noWeights?.message.contains(".safetensors") == true)
        folder.write("bad-json/config.json", "{\n  \"hidden_size\": 32,\n  \"model_type\": bert\n}\n")
        folder.write("bad-json/model.safetensors", "x")
        let badJSON = zooError { _ = try CheckpointFolder(url: folder.url.appendingPathComponent("bad-json")) }
        #expect(badJSON?.kind == .data)
        #expect(badJSON?.message.contains("bad-json/config.json") == true)
        #expect(badJSON?.message.contains("line 3, column 17") == true)
        folder.write("array/config.json", "[1, 2]")
        folder.write("array/model.safetensors", "x")
        #expect(zooError { _ = try CheckpointFolder(url: folder.url.appendingPathComponent("array")) }?.kind == .data)
    }
}
