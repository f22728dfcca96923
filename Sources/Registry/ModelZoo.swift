import Foundation

/// One zoo home opened for use: the catalog and the checkpoint store together, with the
/// operations that must keep both consistent.
public final class ModelZoo: Sendable {
    /// The home folder.
    public let home: ZooHome
    /// The SQLite catalog.
    public let catalog: Catalog
    /// The checkpoint store.
    public let store: CheckpointStore

    /// Opens `home`, creating the folder, catalog and store when missing.
    public init(home: ZooHome) throws {
        self.home = home
        catalog = try Catalog(home: home)
        store = CheckpointStore(root: home.checkpointsURL)
    }

    /// Opens `home`'s existing catalog read-only (see ``Catalog/init(readOnlyAt:)``): for
    /// cluster array tasks, which read encoders and datasets but must never write the catalog.
    public init(readingOnly home: ZooHome) throws {
        self.home = home
        catalog = try Catalog(readOnlyAt: home.catalogURL)
        store = CheckpointStore(root: home.checkpointsURL)
    }

    /// Stores `folder` and registers `encoder` for it. Nothing is left in the catalog on failure;
    /// files a crash leaves behind are temporary or orphaned folders that `gc` removes.
    public func addEncoder(_ encoder: NewEncoder, from folder: CheckpointFolder, link: Bool, replace: Bool) throws -> EncoderEntry {
        try EncoderName.validate(encoder.name)
        for alias in encoder.aliases { try EncoderName.validate(alias, role: "alias") }
        try catalog.checkNames(of: encoder, replace: replace)
        let (entry, released) = try store.withLock(exclusive: false) {
            let stored = try store.add(folder, link: link)
            return try catalog.register(encoder, folder: folder, stored: stored, replace: replace)
        }
        if let released { try? deleteUnused([released]) }
        return entry
    }

    /// Removes an encoder (see `Catalog.removeEncoder`) and the stored files nothing else uses.
    public func removeEncoder(named name: String, force: Bool) throws -> [String] {
        let released = try catalog.removeEncoder(named: name, force: force)
        try deleteUnused(released)
        return released
    }

    /// Stores a trained or imported projector folder (config.json + projector.safetensors) and
    /// records `projector` for it, in one step: nothing is left in the catalog on failure.
    public func addProjector(_ projector: ProjectorRecord, from folder: CheckpointFolder) throws -> ProjectorRecord {
        try store.withLock(exclusive: false) {
            let stored = try store.add(folder, link: false)
            return try catalog.insertProjector(projector, stored: stored)
        }
    }

    /// Removes the projector `pair` names, its evaluations, and its stored files when nothing
    /// else uses them.
    public func removeProjector(_ pair: PairReference) throws -> ProjectorEntry {
        let (entry, released) = try catalog.removeProjector(pair)
        try deleteUnused(released)
        return entry
    }

    /// Stores an index folder (config.json + vectors.safetensors + ids.json) and records
    /// `index` for it, in one step: nothing is left in the catalog on failure. The folder's files
    /// are hard-linked into the store where the file system allows.
    public func addSearchIndex(_ index: SearchIndexRecord, from folder: CheckpointFolder) throws -> SearchIndexRecord {
        try store.withLock(exclusive: false) {
            let stored = try store.add(folder, link: true)
            return try catalog.insertSearchIndex(index, stored: stored)
        }
    }

    /// Removes the index `name` and its stored files when nothing else uses them.
    public func removeSearchIndex(named name: String) throws -> SearchIndexEntry {
        let (entry, released) = try catalog.removeSearchIndex(named: name)
        if let released { try deleteUnused([released]) }
        return entry
    }

    /// Deletes store folders whose catalog rows are gone (re-checked under the exclusive lock).
    func deleteUnused(_ digests: [String]) throws {
        try store.withLock(exclusive: true) {
            let rows = Set(try catalog.checkpoints().map(\.digest))
            for digest in digests where !rows.contains(digest) { try store.delete(digest) }
        }
    }

    /// Re-hashes every stored checkpoint and compares the store with the catalog.
    public func verify() throws -> VerifyReport {
        try store.withLock(exclusive: true) {
            let rows = try catalog.checkpoints()
            let (digests, leftovers) = try store.entries()
            var report = VerifyReport(checked: rows.count)
            for row in rows {
                for problem in store.inspect(digest: row.digest, files: try row.fileList()) {
                    switch problem {
                    case .missing(let file): report.missing.append(file)
                    case .corrupt(let file, let reason): report.corrupt.append(VerifyReport.Corruption(file: file, reason: reason))
                    }
                }
            }
            let known = Set(rows.map(\.digest))
            report.orphaned = digests.filter { !known.contains($0) } + leftovers
            return report
        }
    }

    /// Removes temporary and trash folders, store folders without a catalog row, and catalog
    /// checkpoint rows nothing uses (with their folders). Returns what was removed.
    public func collectGarbage() throws -> [String] {
        try store.withLock(exclusive: true) {
            var removed = try catalog.dropUnusedCheckpoints()
            let known = Set(try catalog.checkpoints().map(\.digest))
            let (digests, leftovers) = try store.entries()
            removed += digests.filter { !known.contains($0) } + leftovers
            for name in Set(removed).sorted() { try store.delete(name) }
            return Array(Set(removed)).sorted()
        }
    }
}

/// The outcome of `zoo verify`.
public struct VerifyReport: Sendable, Equatable, Codable {
    /// A file whose content differs from the catalog.
    public struct Corruption: Sendable, Equatable, Codable {
        public var file: String
        public var reason: String
    }

    /// Number of checkpoints in the catalog.
    public var checked: Int
    /// Files or folders the catalog lists but the store lacks.
    public var missing: [String] = []
    /// Files whose size or hash differ.
    public var corrupt: [Corruption] = []
    /// Store entries with no catalog row (leftovers of interrupted writes; `zoo gc` removes them).
    public var orphaned: [String] = []

    /// True when nothing is missing, corrupt or orphaned.
    public var ok: Bool { missing.isEmpty && corrupt.isEmpty && orphaned.isEmpty }
}
