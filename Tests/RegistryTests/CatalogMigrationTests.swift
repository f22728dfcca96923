import Foundation
import GRDB
import Testing
@testable import Registry

@Suite("Catalog migrations")
struct CatalogMigrationTests {
    @Test("an empty file migrates to the latest schema with every table")
    func fromEmptyFile() throws {
        let folder = TemporaryFolder()
        let url = folder.write("zoo.sqlite", Data())
        let catalog = try Catalog(url: url)
        #expect(try catalog.appliedMigrations() == Catalog.knownMigrations)
        let tables = try catalog.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name")
        }
        #expect(tables == ["checkpoint", "cka_run", "dataset", "embedding_cache", "encoder", "encoder_alias", "eval_run", "plugin", "projector", "search_index"])
        let pragmas = try catalog.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(pragmas.0 == "wal")
        #expect(pragmas.1 == 1)
    }

    @Test("every earlier schema upgrades to the latest, keeping its rows")
    func fromEveryEarlierSchema() throws {
        for (index, migration) in Catalog.knownMigrations.enumerated().dropLast() {
            let folder = TemporaryFolder()
            let home = ZooHome(url: folder.url)
            try home.prepare()
            let old = try Catalog(url: home.catalogURL, upTo: migration)
            #expect(try old.appliedMigrations() == Array(Catalog.knownMigrations[...index]))
            // Rows written under the old schema.
            let store = CheckpointStore(root: home.checkpointsURL)
            let checkpoint = try CheckpointFolder(url: folder.checkpoint("m"))
            let stored = try store.add(checkpoint, link: false)
            _ = try old.register(NewEncoder(name: "old-encoder", aliases: ["oe"], modality: .text, backend: "bert"),
                                 folder: checkpoint, stored: stored, replace: false)
            let upgraded = try Catalog(url: home.catalogURL)
            #expect(try upgraded.appliedMigrations() == Catalog.knownMigrations)
            #expect(try upgraded.encoder(named: "oe").name == "old-encoder")
            #expect(try upgraded.integrityCheck() == ["ok"])
        }
    }

    @Test("a catalog from a newer zoo is refused (65) and left byte-for-byte untouched")
    func newerCatalogIsRefused() throws {
        let folder = TemporaryFolder()
        let url = folder.url.appendingPathComponent("zoo.sqlite")
        do {
            let catalog = try Catalog(url: url)
            try catalog.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
        }
        // Fold the WAL into the main file so the bytes we compare are the whole catalog.
        let queue = try DatabaseQueue(path: url.path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let before = try Data(contentsOf: url)
        let error = zooError { _ = try Catalog(url: url) }
        #expect(error?.kind == .data)
        #expect(error?.message.contains("newer zoo") == true)
        #expect(error?.message.contains("v99-from-the-future") == true)
        #expect(try Data(contentsOf: url) == before)
    }

    @Test("a file that is not SQLite is refused (65) and left untouched")
    func notSQLiteIsRefused() throws {
        let folder = TemporaryFolder()
        let text = "this is a shopping list, not a database\n"
        let url = folder.write("zoo.sqlite", text)
        let error = zooError { _ = try Catalog(url: url) }
        #expect(error?.kind == .data)
        #expect(error?.message.contains(url.path) == true)
        #expect(try String(contentsOf: url, encoding: .utf8) == text)
        #expect(!FileManager.default.fileExists(atPath: url.path + "-wal"))
    }

    @Test("a home that cannot be created is an I/O error (74)")
    func unwritableHome() throws {
        let folder = TemporaryFolder()
        let file = folder.write("not-a-folder", "x")
        let home = ZooHome(url: file.appendingPathComponent("home"))
        let error = zooError { _ = try ModelZoo(home: home) }
        #expect(error?.kind == .io)
        #expect(error?.message.contains(file.path) == true)
    }

    @Test("the schema itself rejects a name that is another encoder's alias")
    func triggersGuardNamesAndAliases() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        try zoo.add("all-roberta-large-v1", aliases: ["roberta"], from: folder.checkpoint("m"))
        #expect(throws: DatabaseError.self) {
            try zoo.catalog.pool.write { db in
                try db.execute(sql: "INSERT INTO encoder_alias (alias, encoder_id) SELECT 'ALL-ROBERTA-LARGE-V1', id FROM encoder")
            }
        }
        #expect(throws: DatabaseError.self) {
            try zoo.catalog.pool.write { db in
                try db.execute(sql: "UPDATE encoder SET name = 'Roberta'")
            }
        }
    }
}
