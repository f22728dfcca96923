import Foundation
import GRDB
import Testing
@testable import Registry

@Suite("Dataset and projector rows")
struct DatasetProjectorCatalogTests {
    /// A fresh zoo with a vision encoder `dino` and a text encoder `minilm` registered.
    private func zooWithPair() throws -> (TemporaryFolder, ModelZoo, vision: EncoderEntry, text: EncoderEntry) {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        let vision = try zoo.add("dino", from: folder.checkpoint("v", seed: 1), modality: .vision)
        let text = try zoo.add("minilm", from: folder.checkpoint("t", seed: 2))
        return (folder, zoo, vision, text)
    }

    private func newDataset(_ name: String, path: String = "/data/x") -> NewDataset {
        NewDataset(name: name, path: path, format: "idx", task: "pairs", split: "train", options: #"{"skip_bad":false}"#)
    }

    @Test("datasets are added, found case-insensitively, summarised, replaced and removed")
    func datasetLifecycle() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        let added = try zoo.catalog.addDataset(newDataset("Fashion-Train"), replace: false)
        #expect(added.id != nil)
        #expect(try zoo.catalog.dataset(named: "fashion-train").path == "/data/x")
        #expect(zooError { try zoo.catalog.addDataset(newDataset("FASHION-train"), replace: false) }?.kind == .data)
        #expect(zooError { try zoo.catalog.addDataset(newDataset("bad name"), replace: false) }?.kind == .usage)
        let missing = zooError { _ = try zoo.catalog.dataset(named: "fashion-trian") }
        #expect(missing?.kind == .noInput)
        #expect(missing?.message.contains("Fashion-Train") == true)

        try zoo.catalog.recordDatasetSummary(id: added.id!, itemCount: 42, idsDigest: String(repeating: "a", count: 64))
        let summarised = try zoo.catalog.dataset(named: "Fashion-Train")
        #expect(summarised.itemCount == 42)
        #expect(summarised.idsDigest?.count == 64)

        let replaced = try zoo.catalog.addDataset(newDataset("Fashion-Train", path: "/data/y"), replace: true)
        #expect(try zoo.catalog.datasets().map(\.path) == ["/data/y"])
        #expect(replaced.itemCount == nil)
        try zoo.catalog.removeDataset(named: "fashion-train")
        #expect(try zoo.catalog.datasets().isEmpty)
        #expect(zooError { try zoo.catalog.removeDataset(named: "fashion-train") }?.kind == .noInput)
    }

    @Test("a CKA run replaces an earlier row of the same measurement and keeps the others")
    func ckaRunsReplaceTheSameMeasurement() throws {
        let (folder, zoo, vision, text) = try zooWithPair()
        defer { withExtendedLifetime(folder) {} }  // the zoo home lives in it
        let dataset = try zoo.catalog.addDataset(newDataset("pairs"), replace: false)
        func run(_ kernel: String, samples: Int, score: Double) -> CKARunRecord {
            CKARunRecord(
                visionEncoderId: vision.record.id, textEncoderId: text.record.id, datasetId: dataset.id,
                kernel: kernel, samples: samples, score: score, zooVersion: "test", createdAt: Date())
        }
        try zoo.catalog.addCKARuns([run("linear", samples: 100, score: 0.25), run("rbf", samples: 100, score: 0.5)])
        try zoo.catalog.addCKARuns([run("linear", samples: 100, score: 0.75)])
        try zoo.catalog.addCKARuns([run("linear", samples: 200, score: 0.125)])
        let files = CKARunRecord(
            visionFeatures: "/a.safetensors", textFeatures: "/b.safetensors", kernel: "linear", samples: 100,
            score: 0.5, zooVersion: "test", createdAt: Date())
        try zoo.catalog.addCKARuns([files])
        try zoo.catalog.addCKARuns([files])
        let rows = try zoo.catalog.ckaRuns()
        #expect(rows.map(\.record.kernel) == ["rbf", "linear", "linear", "linear"])
        #expect(rows.map(\.record.score) == [0.5, 0.75, 0.125, 0.5])
        #expect(rows.map(\.record.samples) == [100, 100, 200, 100])
        #expect(rows.last?.vision == "/a.safetensors" && rows.last?.dataset == nil)
    }

    @Test("projectors: next tag, listing with names, store and remove with their files")
    func projectorLifecycle() throws {
        let (folder, zoo, vision, text) = try zooWithPair()
        #expect(try zoo.catalog.nextProjectorTag(visionEncoderId: vision.record.id!, textEncoderId: text.record.id!) == "v1")

        folder.write("p/config.json", #"{"input":"pooled"}"#)
        folder.write("p/projector.safetensors", Data((0..<64).map { UInt8($0) }))
        let checkpoint = try CheckpointFolder(url: folder.url.appendingPathComponent("p"))
        let row = ProjectorRecord(
            id: nil, visionEncoderId: vision.record.id!, textEncoderId: text.record.id!, architecture: #"{"input":"pooled"}"#,
            checkpointDigest: "", trainingConfig: "{}", dataSummary: #"{"dataset":"d"}"#, tag: "v1", createdAt: Date(),
            finalLoss: 1.25, history: #"[{"epoch":1,"loss":1.25}]"#)
        let stored = try zoo.addProjector(row, from: checkpoint)
        #expect(stored.checkpointDigest.count == 64)
        #expect(try zoo.catalog.nextProjectorTag(visionEncoderId: vision.record.id!, textEncoderId: text.record.id!) == "v2")
        // The same tag again is refused and leaves nothing behind.
        #expect(zooError { _ = try zoo.addProjector(row, from: checkpoint) }?.kind == .data)
        #expect(try zoo.catalog.projectors().count == 1)

        let entry = try zoo.catalog.projectorEntry(for: PairReference(parsing: "dino+minilm"))
        #expect(entry.reference == "dino+minilm@v1")
        #expect(entry.record.finalLoss == 1.25)
        #expect(entry.record.history.contains("\"loss\":1.25"))
        #expect(try zoo.catalog.projectors(for: PairReference(parsing: "dino+minilm")).count == 1)
        #expect(FileManager.default.fileExists(atPath: zoo.store.folder(for: stored.checkpointDigest).path))

        let removed = try zoo.removeProjector(PairReference(parsing: "dino+minilm@v1"))
        #expect(removed.reference == "dino+minilm@v1")
        #expect(try zoo.catalog.projectors().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: zoo.store.folder(for: stored.checkpointDigest).path))
        #expect(try zoo.verify().ok)
    }

    @Test("content hashes are SHA-256 hex")
    func contentHash() {
        #expect(ContentHash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
