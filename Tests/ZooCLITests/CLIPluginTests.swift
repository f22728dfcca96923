import Foundation
import GRDB
import Registry
import Testing

/// External plugins through the real binary: `zoo plugin add/list/remove`, encoders with
/// `--backend plugin:NAME`, and the refusals (not a library, ABI, changed file, in use).
@Suite("zoo plugin end to end")
struct CLIPluginTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = repository.appendingPathComponent("Examples/pixel-stats-plugin")
    static let model = example.appendingPathComponent("model")
    static let images = repository.appendingPathComponent("Tests/Fixtures/vision/images")

    /// Compiles `source` into `lib<name>.so` in the runner's scratch folder, as the example's
    /// Makefile does, and returns its path.
    static func compile(_ source: URL, name: String, in zoo: ZooRunner) throws -> String {
        let output = zoo.scratch.appendingPathComponent("lib\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-std=c11", "-O2", "-shared", "-fPIC",
                             "-I", repository.appendingPathComponent("Sources/CZooPlugin/include").path]
            + ["-o", output, source.path, "-lm"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cc failed for \(source.path)")
        return output
    }

    static func buildExample(in zoo: ZooRunner) throws -> String {
        try compile(example.appendingPathComponent("pixel_stats.c"), name: "zoo_pixel_stats", in: zoo)
    }

    @Test("add, list, register an encoder with it, encode images, and remove only once unused")
    func endToEnd() throws {
        let zoo = ZooRunner()
        let library = try Self.buildExample(in: zoo)

        let added = try zoo.run(["plugin", "add", library, "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        let object = try #require(try added.json() as? [String: Any])
        #expect(object["name"] as? String == "pixel_stats")
        #expect(object["backend"] as? String == "plugin:pixel_stats")

        let list = try #require(try zoo.run(["plugin", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.count == 1)
        let row = try #require(list.first)
        #expect(Set(row.keys) == ["name", "backend", "modality", "summary", "path", "sha256", "abi_version", "status", "created_at"])
        #expect(row["modality"] as? String == "vision")
        #expect(row["abi_version"] as? Int == 1)
        #expect(row["status"] as? String == "ok")
        #expect(row["path"] as? String == library)
        #expect(row["sha256"] as? String == (try PluginFile.sha256(atPath: library)))
        #expect(try zoo.run(["plugin", "list"]).stdout.contains("pixel_stats"))

        let encoder = try zoo.run(["encoder", "add", "stats", "--backend", "plugin:pixel_stats", "--from", Self.model.path, "--json"])
        #expect(encoder.status == 0, "\(encoder.stderr)")
        let entry = try #require(try encoder.json() as? [String: Any])
        #expect(entry["backend"] as? String == "plugin:pixel_stats")
        #expect(entry["modality"] as? String == "vision")
        #expect(entry["pooled_width"] as? Int == 32)
        let encoders = try zoo.run(["encoder", "list"])
        #expect(encoders.stdout.contains("stats") && encoders.stdout.contains("plugin:pixel_stats"))

        let encoded = try zoo.run(["encode", "stats", "--images", Self.images.appendingPathComponent("china.jpg").path,
                                   Self.images.appendingPathComponent("coffee.webp").path])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let lines = encoded.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let vector = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["embedding"] as? [Double]
            #expect(vector?.count == 32)
            #expect(abs((vector ?? []).reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }

        let refused = try zoo.run(["plugin", "remove", "pixel_stats"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("used by encoder(s) stats"))
        #expect(try zoo.run(["encoder", "remove", "stats"]).status == 0)
        let removed = try zoo.run(["plugin", "remove", "pixel_stats"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try #require(try zoo.run(["plugin", "list", "--json"]).json() as? [Any]).isEmpty)
        #expect(FileManager.default.fileExists(atPath: library))
    }

    @Test("a plugin file changed after 'plugin add' is refused (65) until added again with --replace")
    func changedFile() throws {
        let zoo = ZooRunner()
        let library = try Self.buildExample(in: zoo)
        #expect(try zoo.run(["plugin", "add", library]).status == 0)
        #expect(try zoo.run(["encoder", "add", "stats", "--backend", "plugin:pixel_stats", "--from", Self.model.path]).status == 0)

        // Bytes appended to the library: still loadable, but not the file that was added.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: library))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("tampered".utf8))
        try handle.close()

        let image = Self.images.appendingPathComponent("china.jpg").path
        let encode = try zoo.run(["encode", "stats", "--images", image])
        #expect(encode.status == 65)
        #expect(encode.stderr.contains("plugin 'pixel_stats' at \(library) changed since it was added"))
        #expect(encode.stderr.contains("zoo plugin add \(library) --replace"))
        let add = try zoo.run(["encoder", "add", "again", "--backend", "plugin:pixel_stats", "--from", Self.model.path])
        #expect(add.status == 65)
        #expect(add.stderr.contains("changed since it was added"))
        let status = try #require(try zoo.run(["plugin", "list", "--json"]).json() as? [[String: Any]])
        #expect(status.first?["status"] as? String == "changed")

        let again = try zoo.run(["plugin", "add", library])
        #expect(again.status == 65)
        #expect(again.stderr.contains("already registered"))
        #expect(try zoo.run(["plugin", "add", library, "--replace"]).status == 0)
        #expect(try zoo.run(["encode", "stats", "--images", image]).status == 0)

        try FileManager.default.removeItem(atPath: library)
        let missing = try zoo.run(["encode", "stats", "--images", image])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("plugin 'pixel_stats' is missing from '\(library)'"))
    }

    @Test("files that are not valid plugins are refused with the right status and a clear message")
    func badPlugins() throws {
        let zoo = ZooRunner()
        let text = zoo.scratch.appendingPathComponent("readme.so")
        try Data("just text\n".utf8).write(to: text)
        let notLibrary = try zoo.run(["plugin", "add", text.path])
        #expect(notLibrary.status == 65)
        #expect(notLibrary.stderr.contains("cannot load plugin '\(text.path)'"))

        let missing = try zoo.run(["plugin", "add", zoo.scratch.appendingPathComponent("nothing.so").path])
        #expect(missing.status == 66)

        let source = zoo.scratch.appendingPathComponent("abi2.c")
        try Data("""
            #include "zoo_plugin.h"
            static const zoo_plugin_api_v1 table = { .abi_version = 2, .struct_size = sizeof(zoo_plugin_api_v1), .name = "future" };
            ZOO_PLUGIN_EXPORT const zoo_plugin_api_v1 *zoo_plugin_v1(void) { return &table; }
            """.utf8).write(to: source)
        let abi2 = try Self.compile(source, name: "abi2", in: zoo)
        let refused = try zoo.run(["plugin", "add", abi2])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("ABI version 2, but this zoo supports version 1"))

        let noEntry = zoo.scratch.appendingPathComponent("noentry.c")
        try Data("int not_a_plugin(void) { return 1; }\n".utf8).write(to: noEntry)
        let plain = try zoo.run(["plugin", "add", try Self.compile(noEntry, name: "noentry", in: zoo)])
        #expect(plain.status == 65)
        #expect(plain.stderr.contains("does not export the entry point 'zoo_plugin_v1'"))

        let list = try #require(try zoo.run(["plugin", "list", "--json"]).json() as? [Any])
        #expect(list.isEmpty)
        let unknown = try zoo.run(["encoder", "add", "x", "--backend", "plugin:nope", "--from", Self.model.path])
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("unknown plugin 'nope'"))
    }

    @Test("the plugin's own failure to load a folder fails 'encoder add' (65) with its text")
    func createFailure() throws {
        let zoo = ZooRunner()
        #expect(try zoo.run(["plugin", "add", try Self.buildExample(in: zoo)]).status == 0)
        let folder = zoo.scratch.appendingPathComponent("wrong-width")
        try FileManager.default.copyItem(at: Self.model, to: folder)
        try Data(#"{"model_type": "pixel_stats", "hidden_size": 16}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let added = try zoo.run(["encoder", "add", "wrong", "--backend", "plugin:pixel_stats", "--from", folder.path])
        #expect(added.status == 65)
        #expect(added.stderr.contains("plugin 'pixel_stats' could not load the model"))
        #expect(added.stderr.contains("hidden_size is 16 but 'projection' has 32 rows"))
        #expect(try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [Any]).isEmpty)
    }

    @Test("catalog rows: names and paths are unique, --replace rules, and pre-v3 rows get placeholder names")
    func catalogRows() throws {
        let zoo = ZooRunner()
        try FileManager.default.createDirectory(at: zoo.home, withIntermediateDirectories: true)
        let url = zoo.home.appendingPathComponent("zoo.sqlite")
        do {
            _ = try Catalog(url: url, upTo: "v2-projectors-datasets-evals-plugins")
            let queue = try DatabaseQueue(path: url.path)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO plugin (path, sha256, abi_version, created_at) VALUES ('/old.so', ?, 1, ?)",
                               arguments: [String(repeating: "a", count: 64), Date()])
            }
            try queue.close()
        }
        let catalog = try Catalog(url: url)
        #expect(try catalog.plugins().map(\.name) == ["plugin-1"])
        #expect(try catalog.plugins().first?.path == "/old.so")

        let hash = String(repeating: "b", count: 64)
        let stats = NewPlugin(name: "stats", modality: .vision, summary: "s", path: "/a.so", sha256: hash, abiVersion: 1)
        try catalog.addPlugin(stats, replace: false)
        #expect(throws: ZooError.self) { try catalog.addPlugin(stats, replace: false) }
        var samePath = stats
        samePath.name = "other"
        let clash = try #require(Self.zooError { try catalog.addPlugin(samePath, replace: false) })
        #expect(clash.kind == .data)
        #expect(clash.message.contains("'/a.so' is already registered as plugin 'stats'"))
        var invalid = stats
        invalid.name = "Not Valid"
        #expect(Self.zooError { try catalog.addPlugin(invalid, replace: true) }?.kind == .data)
        #expect(Self.zooError { _ = try catalog.plugin(named: "stat") }?.message.contains("Did you mean 'stats'?") == true)

        // --replace keeps the row's name; with an encoder using it, only a same-name,
        // same-modality replacement is allowed.
        try zoo.checkpoint("m")
        let model = zoo.scratch.appendingPathComponent("m")
        let added = try zoo.run(["encoder", "add", "user", "--backend", "bert", "--from", model.path])
        #expect(added.status == 0, "\(added.stderr)")
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in try db.execute(sql: "UPDATE encoder SET backend = 'plugin:stats'") }
        try queue.close()
        var moved = stats
        moved.path = "/b.so"
        #expect(try catalog.addPlugin(moved, replace: true).path == "/b.so")
        var text = moved
        text.modality = .text
        #expect(Self.zooError { try catalog.addPlugin(text, replace: true) }?.message.contains("encoders user use backend 'plugin:stats'") == true)
        #expect(Self.zooError { try catalog.removePlugin(named: "stats") }?.kind == .data)
        #expect(try catalog.encoderNames(usingBackend: "plugin:stats") == ["user"])
        #expect(try catalog.removePlugin(named: "plugin-1").path == "/old.so")
        #expect(try catalog.plugins().map(\.name) == ["stats"])
    }

    static func zooError(_ body: () throws -> Void) -> ZooError? {
        do { try body() } catch let error as ZooError { return error } catch { return nil }
        return nil
    }
}
