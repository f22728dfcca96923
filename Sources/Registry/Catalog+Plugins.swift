import Foundation
import GRDB

/// What `zoo plugin add` learned by loading a plugin library, to be recorded in the catalog.
public struct NewPlugin: Sendable, Equatable {
    /// The plugin's name (`[a-z0-9_-]+`).
    public var name: String
    /// What it encodes.
    public var modality: Modality
    /// Its one-line description.
    public var summary: String
    /// Absolute path of the library.
    public var path: String
    /// SHA-256 of the library, lower-case hex.
    public var sha256: String
    /// The plugin ABI version it implements.
    public var abiVersion: Int

    /// Gathers the fields of a plugin row.
    public init(name: String, modality: Modality, summary: String, path: String, sha256: String, abiVersion: Int) {
        self.name = name
        self.modality = modality
        self.summary = summary
        self.path = path
        self.sha256 = sha256
        self.abiVersion = abiVersion
    }
}

extension Catalog {
    /// Every registered plugin, sorted by name.
    public func plugins() throws -> [PluginRecord] {
        try read { db in try PluginRecord.order(Column("name")).fetchAll(db) }
    }

    /// The plugin called `name` (case-insensitive), or `ZooError.noInput` (66) with the nearest name.
    public func plugin(named name: String) throws -> PluginRecord {
        if let record = try read({ db in try Catalog.fetchPlugin(db, name) }) { return record }
        let hint = NameSuggester.hint(for: name, in: try plugins().map(\.name))
        throw ZooError(.noInput, "unknown plugin '\(name)'.\(hint) 'zoo plugin list' shows the registered plugins; 'zoo plugin add PATH' adds one")
    }

    /// The plugin called `name`, after checking that its file still has the SHA-256 recorded
    /// when it was added (see `PluginFile.verify`).
    public func verifiedPlugin(named name: String) throws -> PluginRecord {
        let record = try plugin(named: name)
        try PluginFile.verify(record)
        return record
    }

    /// Names of the encoders whose backend is `backend`, sorted.
    public func encoderNames(usingBackend backend: String) throws -> [String] {
        try read { db in try Catalog.encoderNames(db, backend: backend) }
    }

    /// Records `plugin`. Its name and its path must be new unless `replace`, which removes the
    /// rows with the same name or path first; a replacement that would rename a plugin, or
    /// change its modality, while encoders use it is refused (65).
    @discardableResult
    public func addPlugin(_ plugin: NewPlugin, replace: Bool) throws -> PluginRecord {
        let valid = !plugin.name.isEmpty && plugin.name.utf8.count <= 64
            && plugin.name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
        guard valid else {
            throw ZooError(.data, "'\(plugin.name)' is not a valid plugin name; use 1 to 64 characters of a-z, 0-9, '_' and '-'")
        }
        return try write { db in
            let clashes = try PluginRecord
                .filter(Column("name").collating(.nocase) == plugin.name || Column("path") == plugin.path)
                .fetchAll(db)
            for old in clashes {
                guard replace else { throw Catalog.clash(old, with: plugin) }
                let users = try Catalog.encoderNames(db, backend: Catalog.backendID(old.name))
                guard users.isEmpty || (old.name == plugin.name && old.modality == plugin.modality) else {
                    throw ZooError(.data, "cannot replace plugin '\(old.name)' with '\(plugin.name)' (\(plugin.modality.rawValue)): encoders \(users.joined(separator: ", ")) use backend '\(Catalog.backendID(old.name))'; remove them first")
                }
                _ = try old.delete(db)
            }
            var record = PluginRecord(
                id: nil, name: plugin.name, modality: plugin.modality, summary: plugin.summary, path: plugin.path,
                sha256: plugin.sha256, abiVersion: plugin.abiVersion, createdAt: Date())
            try record.insert(db)
            return record
        }
    }

    /// Removes the plugin called `name`; refused (65) while encoders use `plugin:NAME`.
    @discardableResult
    public func removePlugin(named name: String) throws -> PluginRecord {
        let record = try plugin(named: name)
        return try write { db in
            guard let current = try PluginRecord.fetchOne(db, key: record.id) else {
                throw ZooError(.noInput, "plugin '\(record.name)' was removed by another process")
            }
            let users = try Catalog.encoderNames(db, backend: Catalog.backendID(current.name))
            if !users.isEmpty {
                throw ZooError(.data, "plugin '\(current.name)' is used by encoder(s) \(users.joined(separator: ", ")); remove them first ('zoo encoder remove NAME')")
            }
            _ = try current.delete(db)
            return current
        }
    }

    // MARK: - Helpers inside transactions

    static func backendID(_ pluginName: String) -> String { "plugin:" + pluginName }

    static func fetchPlugin(_ db: Database, _ name: String) throws -> PluginRecord? {
        try PluginRecord.filter(Column("name").collating(.nocase) == name).fetchOne(db)
    }

    static func encoderNames(_ db: Database, backend: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM encoder WHERE backend = ? ORDER BY name", arguments: [backend])
    }

    private static func clash(_ old: PluginRecord, with plugin: NewPlugin) -> ZooError {
        if old.path == plugin.path && old.name.lowercased() != plugin.name.lowercased() {
            return ZooError(.data, "'\(plugin.path)' is already registered as plugin '\(old.name)'; pass --replace to record it as '\(plugin.name)'")
        }
        return ZooError(.data, "a plugin named '\(old.name)' is already registered from '\(old.path)'; pass --replace to replace it")
    }
}

/// Whether a registered plugin's library still matches its catalog row.
public enum PluginFileStatus: String, Sendable, Equatable {
    /// The file has the recorded SHA-256.
    case ok
    /// The file's content differs from when it was added.
    case changed
    /// The file is gone or unreadable.
    case missing
}

/// Hashing plugin libraries and checking them against the catalog.
public enum PluginFile {
    /// The SHA-256 (lower-case hex) of the file at `path`.
    ///
    /// - Throws: `ZooError.noInput` (66) when there is no regular file at `path`, `ZooError.io`
    ///   (74) when it cannot be read.
    public static func sha256(atPath path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ZooError(.noInput, "plugin file '\(path)' does not exist; build the plugin first (docs/PLUGINS.md)")
        }
        guard !isDirectory.boolValue else {
            throw ZooError(.usage, "'\(path)' is a folder; pass the plugin's shared library (a .so file)")
        }
        return try FileHasher.hash(path).0
    }

    /// Whether `record`'s file still has its recorded SHA-256.
    public static func status(of record: PluginRecord) -> PluginFileStatus {
        guard let hash = try? sha256(atPath: record.path) else { return .missing }
        return hash == record.sha256 ? .ok : .changed
    }

    /// Checks that `record`'s file still has the SHA-256 recorded when it was added.
    ///
    /// - Throws: `ZooError.noInput` (66) when the file is gone, `ZooError.data` (65) when it changed.
    public static func verify(_ record: PluginRecord) throws {
        let hash: String
        do { hash = try sha256(atPath: record.path) } catch let error as ZooError where error.kind == .noInput {
            throw ZooError(.noInput, "plugin '\(record.name)' is missing from '\(record.path)'; rebuild it there, or 'zoo plugin add NEWPATH --replace'")
        }
        guard hash == record.sha256 else {
            throw ZooError(.data, "plugin '\(record.name)' at \(record.path) changed since it was added (sha256 \(record.sha256.prefix(12))…, now \(hash.prefix(12))…); run 'zoo plugin add \(record.path) --replace' if you trust the new build")
        }
    }
}
