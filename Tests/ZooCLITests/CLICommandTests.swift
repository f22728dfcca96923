import Foundation
import GRDB
import Runtime
import Testing

@Suite("zoo CLI end to end")
struct CLICommandTests {
    @Test("every command runs, and --json output has the documented shape")
    func everyCommand() throws {
        let zoo = ZooRunner()
        let roberta = try zoo.checkpoint("roberta", seed: 1, modelType: "roberta")
        let dino = try zoo.checkpoint("dino", seed: 2, modelType: "dinov2")

        let initialised = try zoo.run(["init"])
        #expect(initialised.status == 0)
        #expect(FileManager.default.fileExists(atPath: zoo.home.appendingPathComponent("zoo.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: zoo.home.appendingPathComponent("checkpoints").path))

        let backends = try zoo.run(["backend", "list", "--json"], withHome: false)
        #expect(backends.status == 0)
        let backendIds = (try backends.json() as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(backendIds == ["bert", "clip-text", "clip-vision", "dinov2", "mpnet", "roberta", "siglip-text", "siglip-vision"])
        let shorthand = try zoo.run(["backends", "--json"])
        #expect((try shorthand.json() as? [[String: Any]])?.compactMap { $0["id"] as? String } == backendIds)

        let added = try zoo.run(["encoder", "add", "all-roberta-large-v1", "--modality", "text", "--backend", "roberta",
                                 "--from", roberta.path, "--alias", "roberta", "--license", "apache-2.0",
                                 "--source", "sentence-transformers/all-roberta-large-v1", "--json"])
        #expect(added.status == 0, "\(added.stderr)")
        let object = try #require(try added.json() as? [String: Any])
        #expect(Set(object.keys) == ["name", "aliases", "modality", "backend", "pooled_width", "token_width", "source",
                                     "license", "config", "preprocessing", "checkpoint", "created_at"])
        #expect(object["aliases"] as? [String] == ["roberta"])
        #expect(object["pooled_width"] as? Int == 32)
        #expect((object["config"] as? [String: Any])?["model_type"] as? String == "roberta")
        let checkpoint = try #require(object["checkpoint"] as? [String: Any])
        #expect(Set(checkpoint.keys) == ["digest", "total_bytes", "format", "files"])
        #expect((checkpoint["files"] as? [[String: Any]])?.count == ZooRunner.fileCount(roberta))

        // --backend and --modality inferred from config.json.
        let inferred = try zoo.run(["encoder", "add", "dinov2-small", "--from", dino.path, "--alias", "dinov2"])
        #expect(inferred.status == 0, "\(inferred.stderr)")

        let list = try zoo.run(["encoder", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("NAME") && list.stdout.contains("all-roberta-large-v1") && list.stdout.contains("dinov2-small"))
        let listJSON = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        #expect(listJSON.compactMap { $0["name"] as? String } == ["all-roberta-large-v1", "dinov2-small"])
        let globbed = try #require(try zoo.run(["encoder", "list", "*DINO*", "--json"]).json() as? [[String: Any]])
        #expect(globbed.compactMap { $0["name"] as? String } == ["dinov2-small"])
        let texts = try #require(try zoo.run(["encoder", "list", "--modality", "text", "--json"]).json() as? [[String: Any]])
        #expect(texts.compactMap { $0["name"] as? String } == ["all-roberta-large-v1"])

        let show = try zoo.run(["encoder", "show", "roberta"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("apache-2.0"))
        let shown = try #require(try zoo.run(["encoder", "show", "DINOV2", "--json"]).json() as? [String: Any])
        #expect(shown["name"] as? String == "dinov2-small")
        #expect(shown["modality"] as? String == "vision")

        let verify = try zoo.run(["verify", "--json"])
        #expect(verify.status == 0)
        let report = try #require(try verify.json() as? [String: Any])
        #expect(Set(report.keys) == ["ok", "checked", "missing", "corrupt", "orphaned"])
        #expect(report["ok"] as? Bool == true)
        #expect(report["checked"] as? Int == 2)

        let gc = try zoo.run(["gc", "--json"])
        #expect(gc.status == 0)
        #expect((try gc.json() as? [String: Any])?["removed"] as? [String] == [])

        let version = try #require(try zoo.run(["version", "--json"], withHome: false).json() as? [String: Any])
        #expect(Set(version.keys) == ["zoo", "schema", "openblas", "libarchive", "kernels"])
        #expect((version["kernels"] as? String)?.hasPrefix(KernelPath.name(lanes: KernelPath.lanes)) == true)
        let forced = try #require(try zoo.run(["version", "--json"], withHome: false, environment: ["ZOO_VECTOR_LANES": "4"]).json() as? [String: Any])
        #expect((forced["kernels"] as? String)?.hasPrefix("portable (4 lanes") == true)

        let removed = try zoo.run(["encoder", "remove", "roberta"])
        #expect(removed.status == 0, "\(removed.stderr)")
        let remaining = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        #expect(remaining.count == 1)
        #expect(try zoo.run(["verify"]).status == 0)

        // $ZOO_HOME is used when --home is absent.
        let viaEnvironment = try zoo.run(["encoder", "list", "--json"], withHome: false, environment: ["ZOO_HOME": zoo.home.path])
        #expect((try viaEnvironment.json() as? [[String: Any]])?.count == 1)
    }

    @Test("bad input gives a clear error, the right exit code, and changes nothing")
    func badInput() throws {
        let zoo = ZooRunner()
        let good = try zoo.checkpoint("good", seed: 1)
        #expect(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--from", good.path, "--alias", "minilm"]).status == 0)
        let catalog = zoo.home.appendingPathComponent("zoo.sqlite")

        func expectFailure(_ arguments: [String], _ code: Int32, _ fragment: String, withHome: Bool = true,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try zoo.run(arguments, withHome: withHome)
            #expect(result.status == code, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
        }

        try expectFailure(["encoder", "show", "minlm"], 66, "Did you mean 'minilm'?")
        try expectFailure(["encoder", "remove", "all-minilm-l6"], 66, "Did you mean 'all-MiniLM-L6-v2'?")
        try expectFailure(["encoder", "add", "all-MiniLM-L6-v2", "--from", good.path], 65, "already exists")
        try expectFailure(["encoder", "add", "other", "--from", good.path, "--alias", "MINILM"], 65, "already an alias")
        try expectFailure(["encoder", "add", "minilm", "--from", good.path], 65, "already an alias")
        try expectFailure(["encoder", "add", "x", "--from", zoo.scratch.appendingPathComponent("absent").path], 66, "does not exist")

        let noConfig = zoo.scratch.appendingPathComponent("no-config")
        try FileManager.default.createDirectory(at: noConfig, withIntermediateDirectories: true)
        try Data("w".utf8).write(to: noConfig.appendingPathComponent("model.safetensors"))
        try expectFailure(["encoder", "add", "x", "--from", noConfig.path, "--backend", "bert"], 65, "config.json")

        let noWeights = zoo.scratch.appendingPathComponent("no-weights")
        try FileManager.default.createDirectory(at: noWeights, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: noWeights.appendingPathComponent("config.json"))
        try expectFailure(["encoder", "add", "x", "--from", noWeights.path, "--backend", "bert"], 65, ".safetensors")

        let badJSON = try zoo.checkpoint("bad-json", seed: 3)
        try Data("{\n  \"hidden_size\": 32,\n  oops\n}".utf8).write(to: badJSON.appendingPathComponent("config.json"))
        try expectFailure(["encoder", "add", "x", "--from", badJSON.path, "--backend", "bert"], 65, "line 3, column 3")

        try expectFailure(["encoder", "add", "x", "--from", good.path, "--backend", "bret"], 64, "Did you mean 'bert'?")
        try expectFailure(["encoder", "add", "x", "--from", good.path, "--modality", "vision"], 64, "--modality")
        try expectFailure(["encoder", "add", "x", "--from", good.path, "--modality", "audio"], 64, "audio")
        try expectFailure(["encoder", "add", "bad@name", "--from", good.path], 64, "not allowed")
        try expectFailure(["encoder", "frobnicate"], 64, "frobnicate", withHome: false)

        // Nothing above changed the catalog or the store.
        let list = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.compactMap { $0["name"] as? String } == ["all-MiniLM-L6-v2"])
        let report = try #require(try zoo.run(["verify", "--json"]).json() as? [String: Any])
        #expect(report["ok"] as? Bool == true)

        // A home that cannot be created: its parent is a file.
        let blocker = zoo.scratch.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let unwritable = try zoo.run(["encoder", "list", "--home", blocker.appendingPathComponent("home").path], withHome: false)
        #expect(unwritable.status == 74, "\(unwritable.stderr)")
        #expect(unwritable.stderr.contains("blocker"))

        // A catalog that is not SQLite is refused and left as it was.
        let other = ZooRunner()
        try FileManager.default.createDirectory(at: other.home, withIntermediateDirectories: true)
        let junk = Data("name,price\napples,3\n".utf8)
        try junk.write(to: other.home.appendingPathComponent("zoo.sqlite"))
        let notSQLite = try other.run(["encoder", "list"])
        #expect(notSQLite.status == 65)
        #expect(notSQLite.stderr.contains("not a zoo catalog"))
        #expect(try Data(contentsOf: other.home.appendingPathComponent("zoo.sqlite")) == junk)

        // A catalog from a newer zoo is refused.
        let pool = try DatabasePool(path: catalog.path)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v3-newer')") }
        try pool.close()
        try expectFailure(["encoder", "list"], 65, "newer zoo")
    }

    @Test("verify through the CLI reports a flipped byte and a deleted file with exit 65")
    func verifyDetectsDamage() throws {
        let zoo = ZooRunner()
        #expect(try zoo.run(["encoder", "add", "a", "--from", try zoo.checkpoint("a", seed: 1).path]).status == 0)
        #expect(try zoo.run(["encoder", "add", "b", "--from", try zoo.checkpoint("b", seed: 2).path, "--link"]).status == 0)
        let entries = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        let digests = entries.compactMap { ($0["checkpoint"] as? [String: Any])?["digest"] as? String }
        try #require(digests.count == 2)
        let store = zoo.home.appendingPathComponent("checkpoints")
        let weights = store.appendingPathComponent(digests[0]).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[7] ^= 0x80
        try bytes.write(to: weights)
        try FileManager.default.removeItem(at: store.appendingPathComponent(digests[1]).appendingPathComponent("config.json"))

        let result = try zoo.run(["verify", "--json"])
        #expect(result.status == 65)
        let report = try #require(try result.json() as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        #expect(report["missing"] as? [String] == ["\(digests[1])/config.json"])
        #expect((report["corrupt"] as? [[String: Any]])?.first?["file"] as? String == "\(digests[0])/model.safetensors")
        let human = try zoo.run(["verify"])
        #expect(human.status == 65)
        #expect(human.stdout.contains("corrupt") && human.stdout.contains("missing"))
    }
}
