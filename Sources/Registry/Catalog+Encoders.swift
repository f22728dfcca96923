import Foundation
import GRDB

extension Catalog {
    /// Every encoder name and alias, for suggestions.
    public func encoderNamesAndAliases() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM encoder UNION ALL SELECT alias FROM encoder_alias")
        }
    }

    /// The encoder called `nameOrAlias` (case-insensitive), or `ZooError.noInput` (66) with the nearest known name.
    public func encoder(named nameOrAlias: String) throws -> EncoderEntry {
        if let entry = try read({ db in try Catalog.fetchEntry(db, nameOrAlias) }) { return entry }
        let hint = NameSuggester.hint(for: nameOrAlias, in: try encoderNamesAndAliases())
        throw ZooError(.noInput, "unknown encoder '\(nameOrAlias)'.\(hint) 'zoo encoder list' shows the registered encoders")
    }

    /// Encoders whose name or an alias matches `pattern`, optionally of one modality, sorted by name.
    public func encoders(matching pattern: Glob? = nil, modality: Modality? = nil) throws -> [EncoderEntry] {
        let entries = try read { db in
            try EncoderRecord.order(Column("name").collating(.nocase)).fetchAll(db).map { try Catalog.entry(db, $0) }
        }
        return entries.filter { entry in
            (modality == nil || entry.record.modality == modality)
                && (pattern == nil || ([entry.name] + entry.aliases).contains { pattern!.matches($0) })
        }
    }

    /// Fails with `ZooError.data` (65) when `encoder`'s name or aliases clash with another entry.
    /// With `replace`, the entry of the same name may be replaced (its own aliases do not clash).
    public func checkNames(of encoder: NewEncoder, replace: Bool) throws {
        try read { db in try Catalog.checkNames(db, encoder, replace: replace) }
    }

    /// Inserts `encoder` with its stored checkpoint in one transaction. With `replace`, an
    /// existing encoder of the same name is removed first (refused while projectors use it).
    /// Returns the new entry and the digest of a checkpoint the replaced entry no longer needs.
    public func register(
        _ encoder: NewEncoder, folder: CheckpointFolder, stored: StoredCheckpoint, replace: Bool
    ) throws -> (entry: EncoderEntry, released: String?) {
        try write { db in
            try Catalog.checkNames(db, encoder, replace: replace)
            var released: String?
            if replace, let old = try EncoderRecord.filter(Column("name") == encoder.name).fetchOne(db) {
                let users = try Catalog.projectorCount(db, encoderId: old.id!)
                if users > 0 {
                    throw ZooError(.data, "cannot replace '\(old.name)': \(users) projector(s) use it; remove them first")
                }
                _ = try old.delete(db)
                if old.checkpointDigest != stored.digest, try Catalog.dropIfUnused(db, digest: old.checkpointDigest) {
                    released = old.checkpointDigest
                }
            }
            if try CheckpointRecord.fetchOne(db, key: stored.digest) == nil {
                let filesJSON = String(decoding: try JSONEncoder.sorted.encode(stored.files), as: UTF8.self)
                try CheckpointRecord(
                    digest: stored.digest, totalBytes: stored.totalBytes, files: filesJSON,
                    format: "hf", createdAt: Date()
                ).insert(db)
            }
            var record = EncoderRecord(
                id: nil, name: encoder.name, modality: encoder.modality, backend: encoder.backend,
                config: folder.configJSON, pooledWidth: encoder.pooledWidth, tokenWidth: encoder.tokenWidth,
                preprocessing: folder.preprocessingJSON, source: encoder.source, license: encoder.license,
                checkpointDigest: stored.digest, createdAt: Date())
            try record.insert(db)
            for alias in Set(encoder.aliases.map { $0.lowercased() }).sorted() {
                let spelled = encoder.aliases.first { $0.lowercased() == alias }!
                try EncoderAliasRecord(alias: spelled, encoderId: record.id!).insert(db)
            }
            return (try Catalog.entry(db, record), released)
        }
    }

    /// Removes an encoder. Refused (65) while projectors use it unless `force`, which removes
    /// those projectors and their evaluations too. Returns the checkpoint digests no longer used.
    public func removeEncoder(named nameOrAlias: String, force: Bool) throws -> [String] {
        let entry = try encoder(named: nameOrAlias)
        return try write { db in
            guard let record = try EncoderRecord.fetchOne(db, key: entry.record.id) else {
                throw ZooError(.noInput, "encoder '\(nameOrAlias)' was removed by another process")
            }
            let projectors = try ProjectorRecord
                .filter(Column("vision_encoder_id") == record.id! || Column("text_encoder_id") == record.id!)
                .fetchAll(db)
            if !projectors.isEmpty && !force {
                throw ZooError(.data, "encoder '\(record.name)' is used by \(projectors.count) projector(s); remove them first or pass --force to remove them too")
            }
            var candidates = [record.checkpointDigest]
            for projector in projectors {
                _ = try projector.delete(db)
                candidates.append(projector.checkpointDigest)
            }
            _ = try record.delete(db)
            return try Set(candidates).sorted().filter { try Catalog.dropIfUnused(db, digest: $0) }
        }
    }

    /// All checkpoint rows.
    public func checkpoints() throws -> [CheckpointRecord] {
        try read { db in try CheckpointRecord.order(Column("digest")).fetchAll(db) }
    }

    /// Deletes checkpoint rows that no encoder or projector uses; returns their digests.
    public func dropUnusedCheckpoints() throws -> [String] {
        try write { db in
            try String.fetchAll(db, sql: "SELECT digest FROM checkpoint ORDER BY digest")
                .filter { try Catalog.dropIfUnused(db, digest: $0) }
        }
    }

    // MARK: - Helpers inside transactions

    static func fetchEntry(_ db: Database, _ nameOrAlias: String) throws -> EncoderEntry? {
        if let record = try EncoderRecord.filter(Column("name") == nameOrAlias).fetchOne(db) {
            return try entry(db, record)
        }
        if let alias = try EncoderAliasRecord.filter(Column("alias") == nameOrAlias).fetchOne(db),
           let record = try EncoderRecord.fetchOne(db, key: alias.encoderId) {
            return try entry(db, record)
        }
        return nil
    }

    static func entry(_ db: Database, _ record: EncoderRecord) throws -> EncoderEntry {
        let aliases = try String.fetchAll(
            db, sql: "SELECT alias FROM encoder_alias WHERE encoder_id = ? ORDER BY alias", arguments: [record.id])
        guard let checkpoint = try CheckpointRecord.fetchOne(db, key: record.checkpointDigest) else {
            throw ZooError(.data, "catalog entry '\(record.name)' points at checkpoint \(record.checkpointDigest) that has no row; run 'zoo verify'")
        }
        return EncoderEntry(record: record, aliases: aliases, checkpoint: checkpoint)
    }

    static func checkNames(_ db: Database, _ encoder: NewEncoder, replace: Bool) throws {
        let existing = try EncoderRecord.filter(Column("name") == encoder.name).fetchOne(db)
        if existing != nil && !replace {
            throw ZooError(.data, "an encoder named '\(encoder.name)' already exists; pass --replace to replace it or choose another name")
        }
        let replacedId = replace ? existing?.id : nil
        for name in [encoder.name] + encoder.aliases {
            if let alias = try EncoderAliasRecord.filter(Column("alias") == name).fetchOne(db), alias.encoderId != replacedId {
                let owner = try String.fetchOne(db, sql: "SELECT name FROM encoder WHERE id = ?", arguments: [alias.encoderId]) ?? "?"
                throw ZooError(.data, "'\(name)' is already an alias of encoder '\(owner)'; choose another name or alias")
            }
        }
        for alias in encoder.aliases {
            if alias.lowercased() == encoder.name.lowercased() {
                throw ZooError(.usage, "alias '\(alias)' is the encoder's own name; drop it")
            }
            if let other = try EncoderRecord.filter(Column("name") == alias).fetchOne(db), other.id != replacedId {
                throw ZooError(.data, "alias '\(alias)' is already the name of encoder '\(other.name)'; choose another alias")
            }
        }
    }

    static func projectorCount(_ db: Database, encoderId: Int64) throws -> Int {
        try ProjectorRecord
            .filter(Column("vision_encoder_id") == encoderId || Column("text_encoder_id") == encoderId)
            .fetchCount(db)
    }

    /// Deletes the checkpoint row when nothing uses it; true when deleted.
    static func dropIfUnused(_ db: Database, digest: String) throws -> Bool {
        let users = try Int.fetchOne(db, sql: """
            SELECT (SELECT COUNT(*) FROM encoder WHERE checkpoint_digest = ?1)
                 + (SELECT COUNT(*) FROM projector WHERE checkpoint_digest = ?1)
                 + (SELECT COUNT(*) FROM search_index WHERE checkpoint_digest = ?1)
            """, arguments: [digest]) ?? 0
        guard users == 0 else { return false }
        return try CheckpointRecord.deleteOne(db, key: digest)
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, for stable JSON text in the catalog.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
