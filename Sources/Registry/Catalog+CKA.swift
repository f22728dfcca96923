import Foundation
import GRDB

/// A CKA row with the names it refers to.
public struct CKARunEntry: Sendable, Equatable {
    /// The row.
    public var record: CKARunRecord
    /// The vision encoder's name, or the first feature file's path.
    public var vision: String
    /// The text encoder's name, or the second feature file's path.
    public var text: String
    /// The dataset's name (nil for feature files).
    public var dataset: String?
}

extension Catalog {
    /// Records CKA runs in one transaction; returns them with their ids.
    ///
    /// A run replaces an earlier row of the same measurement — same encoders (or feature
    /// files), dataset, kernel and sample count — so running `zoo cka` again leaves one row per
    /// measurement, holding the latest score.
    @discardableResult
    public func addCKARuns(_ runs: [CKARunRecord]) throws -> [CKARunRecord] {
        try write { db in
            try runs.map { run in
                try db.execute(
                    sql: """
                        DELETE FROM cka_run
                        WHERE vision_encoder_id IS ? AND text_encoder_id IS ? AND vision_features IS ?
                          AND text_features IS ? AND dataset_id IS ? AND kernel = ? AND samples = ?
                        """,
                    arguments: [
                        run.visionEncoderId, run.textEncoderId, run.visionFeatures, run.textFeatures,
                        run.datasetId, run.kernel, run.samples,
                    ])
                var row = run
                try row.insert(db)
                return row
            }
        }
    }

    /// Every CKA run, oldest first, with encoder and dataset names.
    public func ckaRuns() throws -> [CKARunEntry] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT cka_run.*, v.name AS vision_name, t.name AS text_name, dataset.name AS dataset_name
                FROM cka_run
                LEFT JOIN encoder v ON v.id = cka_run.vision_encoder_id
                LEFT JOIN encoder t ON t.id = cka_run.text_encoder_id
                LEFT JOIN dataset ON dataset.id = cka_run.dataset_id
                ORDER BY cka_run.created_at, cka_run.id
                """)
            return try rows.map { row in
                let record = try CKARunRecord(row: row)
                let visionName: String? = row["vision_name"]
                let textName: String? = row["text_name"]
                return CKARunEntry(
                    record: record, vision: visionName ?? record.visionFeatures ?? "", text: textName ?? record.textFeatures ?? "",
                    dataset: row["dataset_name"])
            }
        }
    }
}
