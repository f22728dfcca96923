import Foundation
import GRDB

/// The SQLite catalog `zoo.sqlite`: encoders, checkpoints, projectors, datasets, evaluations
/// and plugins. WAL mode, a 60 s busy timeout and foreign keys, so several zoo processes can
/// write at once without losing rows or failing with "database is locked".
public final class Catalog: Sendable {
    /// The catalog file.
    public let url: URL
    /// A WAL-mode pool, or for ``init(readOnlyAt:)`` an immutable read-only connection.
    let pool: any DatabaseWriter

    /// Opens (creating and migrating when needed) the catalog at `url`.
    ///
    /// A file that is not SQLite, or that a newer zoo wrote, is rejected with exit 65 and left untouched.
    /// - Parameter migration: stop after this migration (tests of the upgrade path only).
    public init(url: URL, upTo migration: String? = nil) throws {
        self.url = url
        let migrator = CatalogMigrations.migrator()
        try Catalog.checkHeader(url)
        try Catalog.checkNotNewer(url, migrator: migrator)
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let databasePool = try DatabasePool(path: url.path, configuration: configuration)
            pool = databasePool
            let complete = try databasePool.read { db in try migrator.hasCompletedMigrations(db) }
            if !complete || migration != nil {
                // GRDB's migrator is not atomic across processes: several zoo processes opening a
                // new catalog at once would each try the same migration. One lock file serialises
                // them; the later ones find the work done.
                try FileLock(path: url.path + ".lock").withLock(exclusive: true) {
                    if let migration {
                        try migrator.migrate(databasePool, upTo: migration)
                    } else {
                        try migrator.migrate(databasePool)
                    }
                }
            }
        } catch let error as DatabaseError {
            throw ZooError.database(error, path: url.path)
        }
    }

    /// Opens the catalog of `home`, creating the home first when needed.
    public convenience init(home: ZooHome) throws {
        try home.prepare()
        try self.init(url: home.catalogURL)
    }

    /// Opens an existing, fully migrated catalog for reading only, as an immutable file: no
    /// migration, no lock, no `-wal` or `-shm` file created, and every write fails. Cluster
    /// array tasks use it, so that many machines reading one catalog over a shared file system
    /// never write it nor depend on file locking; nothing may write the catalog meanwhile (the
    /// merge at the end does).
    ///
    /// - Throws: `ZooError` 66 when there is no catalog at `url`, 65 when it is not a zoo
    ///   catalog, a newer zoo wrote it, or it needs a migration first (any read-write `zoo`
    ///   command applies it).
    public init(readOnlyAt url: URL) throws {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ZooError(.noInput, "no zoo catalog at '\(url.path)'; register the encoder and dataset in this zoo home first (or pass --home)")
        }
        try Catalog.checkHeader(url)
        let migrator = CatalogMigrations.migrator()
        var configuration = Configuration()
        configuration.readonly = true
        // SQLite URI: `immutable=1` reads the file as it is, without locks or shared memory.
        var escaped = ""
        for character in url.path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        do {
            let queue = try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: configuration)
            let state: (unknown: String?, complete: Bool) = try queue.read { db in
                guard try db.tableExists("grdb_migrations") else { return (nil, false) }
                let unknown = try migrator.hasBeenSuperseded(db) ? try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).min() : nil
                return (unknown, try migrator.hasCompletedMigrations(db))
            }
            if let unknown = state.unknown {
                throw ZooError(.data, "'\(url.path)' was written by a newer zoo (unknown schema migration '\(unknown)'); upgrade zoo to use this catalog")
            }
            guard state.complete else {
                throw ZooError(.data, "the catalog '\(url.path)' needs an upgrade before cluster tasks can read it; run any zoo command on it once (e.g. 'zoo encoder list')")
            }
            pool = queue
        } catch let error as DatabaseError {
            throw ZooError.database(error, path: url.path)
        }
    }

    /// The migrations applied to this catalog, oldest first.
    public func appliedMigrations() throws -> [String] {
        let migrator = CatalogMigrations.migrator()
        return try read { db in try migrator.appliedMigrations(db) }
    }

    /// All migrations this zoo knows, oldest first.
    public static var knownMigrations: [String] { CatalogMigrations.migrator().migrations }

    /// Result of SQLite's `PRAGMA integrity_check` (`["ok"]` when healthy).
    public func integrityCheck() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// Runs `body` in a read transaction, mapping SQLite failures to `ZooError`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw ZooError.database(error, path: url.path)
        }
    }

    /// Runs `body` in an immediate write transaction, mapping SQLite failures to `ZooError`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw ZooError.database(error, path: url.path)
        }
    }

    private static let sqliteMagic = Array("SQLite format 3\0".utf8)

    /// Rejects a non-empty file that does not start with SQLite's magic header.
    private static func checkHeader(_ url: URL) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }
        if Array(head) != sqliteMagic {
            throw ZooError(.data, "'\(url.path)' is not a zoo catalog (not an SQLite database); move it away or choose another --home")
        }
    }

    /// Rejects a catalog that holds migrations `migrator` does not know, without writing to it.
    private static func checkNotNewer(_ url: URL, migrator: DatabaseMigrator) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = attributes?[.size] as? NSNumber, size.intValue > 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(60)
        let unknown: String?
        do {
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            unknown = try queue.read { db in
                // A catalog another process has created but not migrated yet has no table at all.
                guard try db.tableExists("grdb_migrations"), try migrator.hasBeenSuperseded(db) else { return nil }
                return try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).min()
            }
            try queue.close()
        } catch let error as DatabaseError {
            throw ZooError.database(error, path: url.path)
        }
        if let unknown {
            throw ZooError(.data, "'\(url.path)' was written by a newer zoo (unknown schema migration '\(unknown)'); upgrade zoo to use this catalog")
        }
    }
}

extension ZooError {
    /// Maps an SQLite failure to the exit status a user should see.
    static func database(_ error: DatabaseError, path: String) -> ZooError {
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return ZooError(.data, "catalog '\(path)' is corrupt or not a zoo catalog (\(detail)); restore it from a backup or choose another --home")
        case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_PERM:
            return ZooError(.io, "cannot write catalog '\(path)': \(detail); check the zoo home's permissions and free space")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return ZooError(.io, "catalog '\(path)' stayed locked by another process for 60 s; retry when it finishes")
        case .SQLITE_CONSTRAINT:
            return ZooError(.data, "catalog constraint failed: \(detail)")
        default:
            return ZooError(.software, "unexpected catalog error in '\(path)': \(detail)")
        }
    }
}
