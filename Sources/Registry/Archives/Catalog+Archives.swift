import Foundation
import GRDB

extension Catalog {
    /// The evaluations of one projector with their dataset names, oldest first, as archives list them.
    func archiveEvaluations(projectorId: Int64) throws -> [ArchiveManifest.Evaluation] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT eval_run.*, dataset.name AS dataset_name FROM eval_run
                JOIN dataset ON dataset.id = eval_run.dataset_id
                WHERE eval_run.projector_id = ? ORDER BY eval_run.created_at, eval_run.id
                """, arguments: [projectorId]).map { row in
                let record = try EvalRunRecord(row: row)
                return ArchiveManifest.Evaluation(
                    task: record.task, dataset: row["dataset_name"], metrics: JSONValue(embedding: record.metrics),
                    seconds: record.seconds, zooVersion: record.zooVersion, createdAt: formatter.string(from: record.createdAt))
            }
        }
    }

    /// Encoders of `modality` whose stored checkpoint is `digest`, sorted by name.
    func encoders(withCheckpoint digest: String, modality: Modality) throws -> [EncoderEntry] {
        try read { db in
            try EncoderRecord.filter(Column("checkpoint_digest") == digest && Column("modality") == modality.rawValue)
                .order(Column("name").collating(.nocase)).fetchAll(db).map { try Catalog.entry(db, $0) }
        }
    }

    /// The checkpoint row of `digest`, if any.
    func checkpoint(digest: String) throws -> CheckpointRecord? {
        try read { db in try CheckpointRecord.fetchOne(db, key: digest) }
    }
}
