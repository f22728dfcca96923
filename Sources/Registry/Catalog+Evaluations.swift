import Foundation
import GRDB

/// An evaluation row with the names it refers to.
public struct EvaluationEntry: Sendable, Equatable {
    /// The row.
    public var record: EvalRunRecord
    /// The projector's `VISION+TEXT@TAG`.
    public var pair: String
    /// The dataset's name.
    public var dataset: String
}

extension Catalog {
    /// Records one evaluation.
    @discardableResult
    public func addEvaluation(_ evaluation: EvalRunRecord) throws -> EvalRunRecord {
        try write { db in
            var row = evaluation
            try row.insert(db)
            return row
        }
    }

    /// Every evaluation, oldest first, with projector and dataset names.
    public func evaluations() throws -> [EvaluationEntry] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT eval_run.*, v.name AS vision_name, t.name AS text_name, projector.tag AS tag, dataset.name AS dataset_name
                FROM eval_run
                JOIN projector ON projector.id = eval_run.projector_id
                JOIN encoder v ON v.id = projector.vision_encoder_id
                JOIN encoder t ON t.id = projector.text_encoder_id
                JOIN dataset ON dataset.id = eval_run.dataset_id
                ORDER BY eval_run.created_at, eval_run.id
                """)
            return try rows.map { row in
                let vision: String = row["vision_name"]
                let text: String = row["text_name"]
                let tag: String = row["tag"]
                return EvaluationEntry(record: try EvalRunRecord(row: row), pair: "\(vision)+\(text)@\(tag)", dataset: row["dataset_name"])
            }
        }
    }
}
