import Foundation
import Registry
import Testing

@Suite("zoo pack and zoo import")
struct CLIArchiveTests {
    static let visionName = "facebook/dino-tiny"
    static let visionSource = "facebook/dino-tiny"
    static let textSource = "sentence-transformers/all-MiniLM-L6-v2"

    /// Registers the two encoders in `zoo`'s home from `vision` and `text` (or only `only`).
    private func addEncoders(_ zoo: ZooRunner, vision: URL, text: URL, only: Modality? = nil) throws {
        if only != .text {
            let added = try zoo.run(["encoder", "add", CLIArchiveTests.visionName, "--from", vision.path, "--alias", "dino",
                                     "--source", CLIArchiveTests.visionSource, "--license", "apache-2.0"])
            #expect(added.status == 0, "\(added.stderr)")
        }
        if only != .vision {
            let added = try zoo.run(["encoder", "add", "minilm", "--from", text.path, "--source", CLIArchiveTests.textSource])
            #expect(added.status == 0, "\(added.stderr)")
        }
    }

    /// A home with both encoders and a projector `dino+minilm@v1` stored through Registry.
    private func sourceHome() throws -> (zoo: ZooRunner, vision: URL, text: URL, digest: String) {
        let zoo = ZooRunner()
        let vision = try zoo.checkpoint("dino", seed: 1, modelType: "dinov2")
        let text = try zoo.checkpoint("minilm", seed: 2, modelType: "bert")
        try addEncoders(zoo, vision: vision, text: text)
        let folder = zoo.scratch.appendingPathComponent("projector")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let architecture = #"{"input":"pooled","kind":"linear","outputWidth":8}"#
        try Data(architecture.utf8).write(to: folder.appendingPathComponent("config.json"))
        try Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 13) }).write(to: folder.appendingPathComponent("projector.safetensors"))
        let registry = try ModelZoo(home: ZooHome(url: zoo.home))
        let visionEntry = try registry.catalog.encoder(named: "dino")
        let textEntry = try registry.catalog.encoder(named: "minilm")
        let stored = try registry.addProjector(
            ProjectorRecord(visionEncoderId: visionEntry.record.id!, textEncoderId: textEntry.record.id!, architecture: architecture,
                            checkpointDigest: "", trainingConfig: #"{"epochs":3,"lr":0.001}"#, dataSummary: #"{"dataset":"fashion-train","items":64}"#,
                            tag: "v1", createdAt: Date(), finalLoss: 0.5, history: #"[{"epoch":1,"loss":0.9},{"epoch":2,"loss":0.5}]"#),
            from: CheckpointFolder(url: folder))
        return (zoo, vision, text, stored.checkpointDigest)
    }

    @Test("pack writes VISION+TEXT@TAG.zoo; import into another home registers it; packing there gives the same bytes")
    func roundTrip() throws {
        let (source, vision, text, digest) = try sourceHome()
        let packed = try source.run(["pack", "dino+minilm"])
        #expect(packed.status == 0, "\(packed.stderr)")
        let archive = source.scratch.appendingPathComponent("facebook_dino-tiny+minilm@v1.zoo")
        #expect(FileManager.default.fileExists(atPath: archive.path), "\(packed.stdout)")
        #expect(packed.stdout.contains("packed facebook/dino-tiny+minilm@v1 into \(archive.path)"))

        let target = ZooRunner()
        try addEncoders(target, vision: vision, text: text)
        let imported = try target.run(["import", archive.path, "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let object = try #require(try imported.json() as? [String: Any])
        #expect(object["pair"] as? String == "facebook/dino-tiny+minilm@v1")
        #expect(object["checkpoint_digest"] as? String == digest)
        #expect(object["final_loss"] as? Double == 0.5)
        #expect((object["training_config"] as? [String: Any])?["epochs"] as? Int == 3)
        #expect((object["data_summary"] as? [String: Any])?["dataset"] as? String == "fashion-train")
        #expect((object["history"] as? [[String: Any]])?.count == 2)
        #expect(object["already_stored"] as? Bool == false)
        #expect(try target.run(["verify"]).status == 0)

        let repacked = target.scratch.appendingPathComponent("again.zoo")
        let again = try target.run(["pack", "dino+minilm@v1", "--output", repacked.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: repacked) == Data(contentsOf: archive))
    }

    @Test("import without the encoders is 66 naming the missing encoder, its source and the command to add it")
    func missingEncoders() throws {
        let (source, vision, _, _) = try sourceHome()
        let archive = source.scratch.appendingPathComponent("pair.zoo")
        #expect(try source.run(["pack", "dino+minilm@v1", "-o", archive.path]).status == 0)

        let target = ZooRunner()
        let none = try target.run(["import", archive.path])
        #expect(none.status == 66)
        #expect(none.stderr.contains("vision encoder '\(CLIArchiveTests.visionName)' from '\(CLIArchiveTests.visionSource)'"), "\(none.stderr)")
        #expect(none.stderr.contains("zoo encoder add \(CLIArchiveTests.visionName)"))

        // A text encoder of the same name but other weights does not count.
        let other = try target.checkpoint("other", seed: 99, modelType: "bert")
        try addEncoders(target, vision: vision, text: other)
        let textMissing = try target.run(["import", archive.path])
        #expect(textMissing.status == 66)
        #expect(textMissing.stderr.contains("text encoder 'minilm' from '\(CLIArchiveTests.textSource)'"), "\(textMissing.stderr)")
        #expect(textMissing.stderr.contains("--source \(CLIArchiveTests.textSource)"))
        let list = try target.run(["projector", "list", "--json"])
        #expect((try list.json() as? [Any])?.isEmpty == true)
        #expect(try target.run(["verify"]).status == 0)
    }

    @Test("--as sets the tag; importing the same tag twice is 65 suggesting --as")
    func tags() throws {
        let (source, _, _, digest) = try sourceHome()
        let archive = source.scratch.appendingPathComponent("pair.zoo")
        #expect(try source.run(["pack", "dino+minilm@v1", "--output", archive.path]).status == 0)
        // Into the same home: the tag clashes.
        let clash = try source.run(["import", archive.path])
        #expect(clash.status == 65)
        #expect(clash.stderr.contains("--as"), "\(clash.stderr)")
        let renamed = try source.run(["import", archive.path, "--as", "copy", "--json"])
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let object = try #require(try renamed.json() as? [String: Any])
        #expect(object["tag"] as? String == "copy")
        #expect(object["checkpoint_digest"] as? String == digest)
        #expect(object["already_stored"] as? Bool == true)
        let list = try source.run(["projector", "list", "dino+minilm", "--json"])
        #expect((try list.json() as? [Any])?.count == 2)
    }

    @Test("a file that is not an archive is 65; a missing archive is 66; packing an unknown pair is 66")
    func failures() throws {
        let zoo = ZooRunner()
        let bogus = zoo.scratch.appendingPathComponent("bogus.zoo")
        try Data("not an archive\n".utf8).write(to: bogus)
        let refused = try zoo.run(["import", bogus.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("not a zoo archive"), "\(refused.stderr)")
        #expect(try zoo.run(["import", zoo.scratch.appendingPathComponent("none.zoo").path]).status == 66)
        let dino = try zoo.checkpoint("dino", seed: 1, modelType: "dinov2")
        let text = try zoo.checkpoint("minilm", seed: 2)
        try addEncoders(zoo, vision: dino, text: text)
        let unknown = try zoo.run(["pack", "dino+minilm"])
        #expect(unknown.status == 66, "\(unknown.stderr)")
    }
}
