import Foundation
import GRDB

/// What `zoo dataset add` records: where a dataset lives and how to read it.
public struct NewDataset: Sendable, Equatable {
    /// Unique name (same rules as encoder names).
    public var name: String
    /// Absolute path (folder, file, or shard pattern).
    public var path: String
    /// Reader format: `wds`, `imagefolder`, `jsonl` or `idx`.
    public var format: String
    /// `pairs`, `classification` or `retrieval`.
    public var task: String
    /// The split to read, when the layout has several.
    public var split: String?
    /// Extra settings as a JSON object text (class-name and template files, caption templates, …).
    public var options: String

    /// Gathers the fields of a dataset row.
    public init(name: String, path: String, format: String, task: String, split: String?, options: String) {
        self.name = name
        self.path = path
        self.format = format
        self.task = task
        self.split = split
        self.options = options
    }
}

extension Catalog {
    /// Every registered dataset, sorted by name.
    public func datasets() throws -> [DatasetRecord] {
        try read { db in try DatasetRecord.order(Column("name").collating(.nocase)).fetchAll(db) }
    }

    /// The dataset called `name` (case-insensitive), or `ZooError.noInput` (66) with the nearest name.
    public func dataset(named name: String) throws -> DatasetRecord {
        if let record = try read({ db in try DatasetRecord.filter(Column("name") == name).fetchOne(db) }) {
            return record
        }
        let hint = NameSuggester.hint(for: name, in: try datasets().map(\.name))
        throw ZooError(.noInput, "unknown dataset '\(name)'.\(hint) 'zoo dataset list' shows the registered datasets; 'zoo dataset add NAME --path P --format F' adds one")
    }

    /// Records `dataset`; a dataset of the same name is replaced when `replace` (its evaluations
    /// go with it), else the clash is refused (65).
    @discardableResult
    public func addDataset(_ dataset: NewDataset, replace: Bool) throws -> DatasetRecord {
        try EncoderName.validate(dataset.name, role: "dataset name")
        return try write { db in
            if let old = try DatasetRecord.filter(Column("name") == dataset.name).fetchOne(db) {
                guard replace else {
                    throw ZooError(.data, "a dataset named '\(old.name)' is already registered (\(old.format) at \(old.path)); pass --replace or choose another name")
                }
                _ = try old.delete(db)
            }
            var record = DatasetRecord(
                id: nil, name: dataset.name, path: dataset.path, format: dataset.format, task: dataset.task,
                split: dataset.split, options: dataset.options, createdAt: Date())
            try record.insert(db)
            return record
        }
    }

    /// Stores the item count and item-list digest of a dataset once a command has read it all.
    public func recordDatasetSummary(id: Int64, itemCount: Int, idsDigest: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE dataset SET item_count = ?, ids_digest = ? WHERE id = ?",
                           arguments: [itemCount, idsDigest, id])
        }
    }

    /// Forgets a dataset and its evaluations; the data itself is left alone.
    @discardableResult
    public func removeDataset(named name: String) throws -> DatasetRecord {
        let record = try dataset(named: name)
        try write { db in _ = try record.delete(db) }
        return record
    }
}
