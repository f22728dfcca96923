import Foundation
import GRDB
import Testing
@testable import Registry

@Suite("Catalog records")
struct RecordColumnTests {
    @Test("every record writes exactly its table's columns and reads back what it wrote")
    func recordsMatchTheirTables() throws {
        let folder = TemporaryFolder()
        let catalog = try Catalog(url: folder.url.appendingPathComponent("zoo.sqlite"))
        // Whole seconds: the catalog stores dates to the millisecond.
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let digest = String(repeating: "a", count: 64)
        try catalog.write { db in
            // Every optional is set, so every column is written.
            let checkpoint = CheckpointRecord(digest: digest, totalBytes: 4096, files: "[]", format: "hf", createdAt: date)
            try checkpoint.insert(db)
            try Self.check(db, checkpoint)

            var vision = EncoderRecord(
                id: nil, name: "vision", modality: .vision, backend: "dinov2", config: "{}", pooledWidth: 384,
                tokenWidth: 384, preprocessing: "{}", source: "hf:vision", license: "mit", checkpointDigest: digest, createdAt: date)
            try vision.insert(db)
            try Self.check(db, vision)
            var text = vision
            text.id = nil
            text.name = "text"
            text.modality = .text
            try text.insert(db)

            let alias = EncoderAliasRecord(alias: "v", encoderId: vision.id!)
            try alias.insert(db)
            try Self.check(db, alias)

            var projector = ProjectorRecord(
                visionEncoderId: vision.id!, textEncoderId: text.id!, architecture: "{}", checkpointDigest: digest,
                trainingConfig: "{}", dataSummary: "pairs", tag: "v1", createdAt: date, finalLoss: 1.25, history: "[]")
            try projector.insert(db)
            try Self.check(db, projector)

            var dataset = DatasetRecord(
                id: nil, name: "pairs", path: "/data/pairs", format: "jsonl", task: "pairs", split: "train", options: "{}",
                createdAt: date, itemCount: 42, idsDigest: digest)
            try dataset.insert(db)
            try Self.check(db, dataset)

            var evaluation = EvalRunRecord(
                projectorId: projector.id!, datasetId: dataset.id!, task: "classification", metrics: "{}", seconds: 3.5,
                zooVersion: "0.1.0", createdAt: date, details: "{}")
            try evaluation.insert(db)
            try Self.check(db, evaluation)

            var plugin = PluginRecord(
                id: nil, name: "stats", modality: .text, summary: "statistics", path: "/plugins/stats.so", sha256: digest,
                abiVersion: 1, createdAt: date)
            try plugin.insert(db)
            try Self.check(db, plugin)

            var cka = CKARunRecord(
                visionEncoderId: vision.id!, textEncoderId: text.id!, datasetId: dataset.id!, kernel: "rbf", samples: 8,
                score: 0.5, bandwidthVision: 1.5, bandwidthText: 2.5, zooVersion: "0.1.0", createdAt: date)
            try cka.insert(db)
            try Self.check(db, cka)
            var files = CKARunRecord(
                visionFeatures: "/f/vision.npy", textFeatures: "/f/text.npy", kernel: "linear", samples: 8, score: 0.25,
                zooVersion: "0.1.0", createdAt: date)
            try files.insert(db)
            #expect(try CKARunRecord.fetchAll(db).contains(files))
        }
    }

    /// `record` encodes to exactly its table's columns, and its stored row decodes back to it.
    private static func check<Record: FetchableRecord & EncodableRecord & TableRecord & Equatable>(
        _ db: Database, _ record: Record
    ) throws {
        let columns = try db.columns(in: Record.databaseTableName).map(\.name)
        #expect(try Set(record.databaseDictionary.keys) == Set(columns), "\(Record.self)")
        #expect(try Record.fetchAll(db).contains(record), "\(Record.self)")
    }
}
