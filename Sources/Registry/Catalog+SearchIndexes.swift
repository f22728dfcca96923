import Foundation
import GRDB

extension Catalog {
    /// Every search index, by name.
    public func searchIndexes() throws -> [SearchIndexEntry] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT search_index.*, v.name AS vision_name, t.name AS text_name, projector.tag AS tag, dataset.name AS dataset_name
                FROM search_index
                JOIN projector ON projector.id = search_index.projector_id
                JOIN encoder v ON v.id = projector.vision_encoder_id
                JOIN encoder t ON t.id = projector.text_encoder_id
                LEFT JOIN dataset ON dataset.id = search_index.dataset_id
                ORDER BY search_index.name COLLATE NOCASE
                """)
            return try rows.map { row in
                let vision: String = row["vision_name"]
                let text: String = row["text_name"]
                let tag: String = row["tag"]
                return SearchIndexEntry(record: try SearchIndexRecord(row: row), pair: "\(vision)+\(text)@\(tag)", dataset: row["dataset_name"])
            }
        }
    }

    /// The index called `name`.
    ///
    /// - Throws: ``ZooError`` 66 naming the nearest index names.
    public func searchIndex(named name: String) throws -> SearchIndexEntry {
        let all = try searchIndexes()
        if let entry = all.first(where: { $0.record.name.lowercased() == name.lowercased() }) { return entry }
        let hint = NameSuggester.hint(for: name, in: all.map(\.record.name))
        throw ZooError(.noInput, "unknown index '\(name)'.\(hint) 'zoo index list' shows the indexes; 'zoo index build PAIR DATASET --name NAME' builds one")
    }

    /// Records `index` for its stored files, with the checkpoint row when new.
    public func insertSearchIndex(_ index: SearchIndexRecord, stored: StoredCheckpoint) throws -> SearchIndexRecord {
        try EncoderName.validate(index.name, role: "index name")
        return try write { db in
            if try SearchIndexRecord.filter(Column("name") == index.name).fetchCount(db) > 0 {
                throw ZooError(.data, "an index named '\(index.name)' exists; remove it first ('zoo index remove \(index.name)') or pick another --name")
            }
            if try CheckpointRecord.fetchOne(db, key: stored.digest) == nil {
                let filesJSON = String(decoding: try JSONEncoder.sorted.encode(stored.files), as: UTF8.self)
                try CheckpointRecord(digest: stored.digest, totalBytes: stored.totalBytes, files: filesJSON,
                                     format: "search-index", createdAt: Date()).insert(db)
            }
            var row = index
            row.checkpointDigest = stored.digest
            try row.insert(db)
            return row
        }
    }

    /// Removes the index `name`; returns it and its checkpoint digest when nothing else uses it.
    public func removeSearchIndex(named name: String) throws -> (entry: SearchIndexEntry, released: String?) {
        let entry = try searchIndex(named: name)
        let released = try write { db -> String? in
            _ = try entry.record.delete(db)
            return try Catalog.dropIfUnused(db, digest: entry.record.checkpointDigest) ? entry.record.checkpointDigest : nil
        }
        return (entry, released)
    }

    /// Whether an index called `name` exists.
    public func hasSearchIndex(named name: String) throws -> Bool {
        try read { db in try SearchIndexRecord.filter(Column("name") == name).fetchCount(db) > 0 }
    }
}
