import Foundation
import Testing

/// `zoo encoder add NAME --from hf:ORG/REPO[@REV]` against a real Hub-compatible server on
/// loopback (``TestHub``) with injected faults, and the Hugging Face cache it writes.
@Suite("zoo encoder add --from hf:", .serialized)
struct CLIHubTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    static let modelCard = "---\nlanguage: en\nlicense: apache-2.0\ntags:\n- sentence-transformers\n---\n# tiny-bert\nA test model.\n"

    /// The tiny-bert fixture's files, its model card, and files zoo must never fetch.
    static func tinyBertFiles() throws -> [String: Data] {
        let root = ZooRunner.fixtures.appendingPathComponent("models/tiny-bert")
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            files[relative] = try Data(contentsOf: url)
        }
        files["README.md"] = Data(modelCard.utf8)
        files["pytorch_model.bin"] = Data(repeating: 7, count: 4096)
        files["onnx/model.onnx"] = Data(repeating: 9, count: 2048)
        files["tf_model.h5"] = Data(repeating: 5, count: 1024)
        return files
    }

    /// The variables every run gets: the test Hub, a private cache, no token, fast retries.
    static func environment(_ hub: TestHub, _ zoo: ZooRunner, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": zoo.scratch.appendingPathComponent("hf-cache").path,
            "HF_HOME": zoo.scratch.appendingPathComponent("hf-home").path, "HF_TOKEN": "", "HUGGING_FACE_HUB_TOKEN": "",
            "HF_HUB_OFFLINE": "", "ZOO_HUB_BACKOFF_MS": "20", "ZOO_HUB_RETRIES": "4",
        ]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs zoo on its own thread, so the in-process Hub keeps every task thread.
    static func run(_ zoo: ZooRunner, _ arguments: [String], _ environment: [String: String], fileSizeLimit: Int? = nil) async throws -> CLIResult {
        nonisolated(unsafe) let runner = zoo
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runner.run(arguments, environment: environment, fileSizeLimit: fileSizeLimit) }) }.start()
        }
    }

    @Test("through 502s, a 429, a dropped connection and a redirect to another host: verified, resumed with Range, in the cache layout; reused offline; no pickles fetched")
    func downloadsThroughFaults() async throws {
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit, branches: ["main", "v1"], license: "apache-2.0"))
        hub.inject("config.json", .init(serverErrors: 2))
        let weights = try #require(files["model.safetensors"])
        hub.inject("model.safetensors", .init(rateLimits: 1, retryAfter: 1, dropAfterBytes: weights.count / 2, drops: 1))
        try await hub.start()
        let zoo = ZooRunner()
        let env = Self.environment(hub, zoo, ["HF_TOKEN": "secret-token"])
        let started = Date()
        let added = try await Self.run(zoo, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert@v1", "--json"], env)
        try #require(added.status == 0, "\(added.stderr)")
        // The 429 asked for a 1 s wait.
        #expect(Date().timeIntervalSince(started) >= 1)
        // Off a terminal, the progress display writes one line per file: size, time, resume point, check.
        #expect(added.stderr.contains("acme/tiny-bert: fetching 10 files"), "\(added.stderr)")
        let weightsLine = added.stderr.split(separator: "\n").first { $0.contains("model.safetensors:") }.map(String.init) ?? ""
        #expect(weightsLine.contains("250.6 KiB in") && weightsLine.contains("resumed at") && weightsLine.hasSuffix("sha256 verified"), "\(added.stderr)")
        let json = try #require(try added.json() as? [String: Any])
        #expect(json["source"] as? String == "hf:acme/tiny-bert@\(Self.commit)")
        #expect(json["license"] as? String == "apache-2.0")
        let hubInfo = try #require(json["hub"] as? [String: Any])
        #expect(hubInfo["commit"] as? String == Self.commit && hubInfo["from_cache"] as? Bool == false)
        // Only what an encoder needs: no pickles, no ONNX, no TF weights.
        let fetched = Set(hub.requests.filter { $0.hasPrefix("resolve ") }.map { $0.split(separator: " ").last.map(String.init) ?? "" })
        #expect(fetched == ["config.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "special_tokens_map.json",
                            "tokenizer.json", "tokenizer_config.json", "vocab.txt", "1_Pooling/config.json", "README.md"])
        // The drop was resumed from where it stopped; the CDN host never saw the token.
        // (Bytes in flight when the server cut the connection may be lost: the range starts at
        // what reached the disk, never past the cut, never at 0.)
        let ranges = hub.ranges
        #expect(ranges.count == 1, "\(ranges)")
        let resumedAt = ranges.first.flatMap { Int($0.dropFirst("model.safetensors bytes=".count).dropLast()) } ?? 0
        #expect(resumedAt > 0 && resumedAt <= weights.count / 2, "\(ranges)")
        #expect(!hub.cdnSawToken)
        // The Hugging Face cache layout: refs, blobs by etag, relative snapshot links.
        let repo = zoo.scratch.appendingPathComponent("hf-cache/models--acme--tiny-bert")
        #expect(try String(contentsOf: repo.appendingPathComponent("refs/v1"), encoding: .utf8) == Self.commit)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(Self.commit)/model.safetensors").path)
        #expect(link == "../../blobs/\(TestHub.sha256(weights))")
        let poolingLink = try FileManager.default.destinationOfSymbolicLink(atPath: repo.appendingPathComponent("snapshots/\(Self.commit)/1_Pooling/config.json").path)
        #expect(poolingLink == "../../../blobs/\(TestHub.gitOID(files["1_Pooling/config.json"]!))")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("blobs").path)
        #expect(!blobs.contains { $0.hasSuffix(".incomplete") })
        // The stored weights are the fixture's bytes.
        let checkpoint = try #require(json["checkpoint"] as? [String: Any])
        let stored = try #require(checkpoint["files"] as? [[String: Any]])
        #expect(stored.first { $0["path"] as? String == "model.safetensors" }?["sha256"] as? String == TestHub.sha256(weights))
        let show = try await Self.run(zoo, ["encoder", "show", "tb"], env)
        #expect(show.stdout.contains("hf:acme/tiny-bert@\(Self.commit)") && show.stdout.contains("apache-2.0"), "\(show.stdout)")

        // Offline, from the cache alone: no request reaches the Hub, same checkpoint.
        let before = hub.requests.count
        let offline = try await Self.run(zoo, ["encoder", "add", "tb2", "--from", "hf:acme/tiny-bert@v1", "--json"],
                                         Self.environment(hub, zoo, ["HF_HUB_OFFLINE": "1"]))
        try #require(offline.status == 0, "\(offline.stderr)")
        let offlineJSON = try #require(try offline.json() as? [String: Any])
        #expect((offlineJSON["checkpoint"] as? [String: Any])?["digest"] as? String == checkpoint["digest"] as? String)
        #expect((offlineJSON["hub"] as? [String: Any])?["from_cache"] as? Bool == true)
        #expect(offlineJSON["license"] as? String == "apache-2.0")
        #expect(hub.requests.count == before)
        // The encoder works.
        let encoded = try await Self.run(zoo, ["encode", "tb2", "--text", "a photo of a dog"], env)
        #expect(encoded.status == 0, "\(encoded.stderr)")
        // --link into another home: the stored weights are the cache's blob (one inode).
        let linked = ZooRunner()
        let linkedAdd = try await Self.run(linked, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert@v1", "--link", "--json"],
                                           Self.environment(hub, zoo, ["HF_HUB_OFFLINE": "1"]))
        try #require(linkedAdd.status == 0, "\(linkedAdd.stderr)")
        let digest = try #require(checkpoint["digest"] as? String)
        var storedInfo = stat()
        var blobInfo = stat()
        let storedWeights = linked.home.appendingPathComponent("checkpoints/\(digest)/model.safetensors").path
        #expect(stat(storedWeights, &storedInfo) == 0 && stat(repo.appendingPathComponent("blobs/\(TestHub.sha256(weights))").path, &blobInfo) == 0)
        #expect(storedInfo.st_ino == blobInfo.st_ino, "\(storedWeights) is not a hard link of the cache's blob")
        await hub.stop()
    }

    @Test("two zoo processes fetching one repository at once: each blob is downloaded once (the lock huggingface_hub also takes), both register the same checkpoint")
    func concurrentDownloads() async throws {
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit))
        // A slow first answer keeps the first process inside its download while the second arrives.
        hub.inject("model.safetensors", .init(rateLimits: 1, retryAfter: 1))
        try await hub.start()
        let first = ZooRunner()
        let second = ZooRunner()
        let env = Self.environment(hub, first)
        async let a = Self.run(first, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert", "--json"], env)
        async let b = Self.run(second, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert", "--json"], env)
        let (resultA, resultB) = try await (a, b)
        try #require(resultA.status == 0 && resultB.status == 0, "\(resultA.stderr) \(resultB.stderr)")
        let digestA = ((try resultA.json() as? [String: Any])?["checkpoint"] as? [String: Any])?["digest"] as? String
        let digestB = ((try resultB.json() as? [String: Any])?["checkpoint"] as? [String: Any])?["digest"] as? String
        #expect(digestA != nil && digestA == digestB)
        #expect(hub.requests.filter { $0 == "blob acme/tiny-bert model.safetensors" }.count == 1, "\(hub.requests)")
        await hub.stop()
    }

    @Test("errors name what is wrong: unknown repo or revision 66, gated 69 (then fine with HF_TOKEN), corrupt bytes 65 with nothing stored, endless 5xx 69, pickles only 65, offline miss 66, bad reference 64")
    func errors() async throws {
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit, license: "mit"))
        hub.add("acme/gated", .init(files: files, commit: Self.commit, token: "letmein"))
        hub.add("acme/corrupt", .init(files: files, commit: Self.commit))
        hub.add("acme/down", .init(files: files, commit: Self.commit))
        var pickled = files.filter { !$0.key.hasSuffix(".safetensors") }
        pickled["pytorch_model.bin"] = Data(repeating: 1, count: 64)
        hub.add("acme/pickled", .init(files: pickled, commit: Self.commit))
        try await hub.start()
        let zoo = ZooRunner()
        let env = Self.environment(hub, zoo)

        let noRepo = try await Self.run(zoo, ["encoder", "add", "x", "--from", "hf:acme/nothing"], env)
        #expect(noRepo.status == 66 && noRepo.stderr.contains("no repository acme/nothing"), "\(noRepo.stderr)")
        let noRevision = try await Self.run(zoo, ["encoder", "add", "x", "--from", "hf:acme/tiny-bert@v9"], env)
        #expect(noRevision.status == 66 && noRevision.stderr.contains("no revision 'v9'"), "\(noRevision.stderr)")
        let gated = try await Self.run(zoo, ["encoder", "add", "x", "--from", "hf:acme/gated"], env)
        #expect(gated.status == 69 && gated.stderr.contains("gated") && gated.stderr.contains("HF_TOKEN"), "\(gated.stderr)")
        let wrongToken = try await Self.run(zoo, ["encoder", "add", "x", "--from", "hf:acme/gated"], Self.environment(hub, zoo, ["HF_TOKEN": "nope"]))
        #expect(wrongToken.status == 69 && wrongToken.stderr.contains("has no access"), "\(wrongToken.stderr)")
        // The token file huggingface-cli login writes works too.
        let tokenFile = zoo.scratch.appendingPathComponent("hf-home/token")
        try FileManager.default.createDirectory(at: tokenFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "letmein\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let withToken = try await Self.run(zoo, ["encoder", "add", "gated", "--from", "hf:acme/gated"], env)
        #expect(withToken.status == 0, "\(withToken.stderr)")
        try FileManager.default.removeItem(at: tokenFile)

        hub.inject("model.safetensors", .init(corrupt: Data(repeating: 0, count: files["model.safetensors"]!.count)))
        let corrupt = try await Self.run(zoo, ["encoder", "add", "bad", "--from", "hf:acme/corrupt"], env)
        #expect(corrupt.status == 65 && corrupt.stderr.contains("sha256"), "\(corrupt.stderr)")
        let corruptBlobs = (try? FileManager.default.contentsOfDirectory(atPath: zoo.scratch.appendingPathComponent("hf-cache/models--acme--corrupt/blobs").path)) ?? []
        #expect(!corruptBlobs.contains(TestHub.sha256(files["model.safetensors"]!)) && !corruptBlobs.contains { $0.hasSuffix(".incomplete") }, "\(corruptBlobs)")

        hub.inject("config.json", .init(serverErrors: 100))
        let down = try await Self.run(zoo, ["encoder", "add", "down", "--from", "hf:acme/down"], env)
        #expect(down.status == 69 && down.stderr.contains("after 4 tries"), "\(down.stderr)")
        hub.inject("config.json", .init())

        let onlyPickles = try await Self.run(zoo, ["encoder", "add", "p", "--from", "hf:acme/pickled"], env)
        #expect(onlyPickles.status == 65 && onlyPickles.stderr.contains("pytorch_model.bin") && onlyPickles.stderr.contains("never loads pickled"), "\(onlyPickles.stderr)")

        let offlineMiss = try await Self.run(zoo, ["encoder", "add", "o", "--from", "hf:acme/tiny-bert"], Self.environment(hub, zoo, ["HF_HUB_OFFLINE": "1"]))
        #expect(offlineMiss.status == 66 && offlineMiss.stderr.contains("HF_HUB_OFFLINE") && offlineMiss.stderr.contains("refs/main"), "\(offlineMiss.stderr)")

        let badReference = try await Self.run(zoo, ["encoder", "add", "r", "--from", "hf:../etc@main"], env)
        #expect(badReference.status == 64, "\(badReference.stderr)")

        // Only the gated model got into the catalog.
        let list = try await Self.run(zoo, ["encoder", "list", "--json"], env)
        let names = ((try? list.json()) as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names == ["gated"], "\(list.stdout)")
        await hub.stop()
    }
    @Test("a file the listing names but the Hub does not serve is 66 naming it; an unsafe listed path is 65 with nothing written; an interrupted download leaves only .incomplete, which the next run resumes; a full disk is 74 with nothing registered")
    func interruptedAndHostile() async throws {
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        let weights = try #require(files["model.safetensors"])
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit))
        hub.add("acme/drops", .init(files: files, commit: Self.commit))
        hub.add("acme/hostile", .init(files: files, commit: Self.commit, extraEntries: [
            ["type": "file", "path": "../../../escape.safetensors", "size": 4, "oid": String(repeating: "b", count: 40),
             "lfs": ["oid": String(repeating: "c", count: 64), "size": 4]],
        ]))
        try await hub.start()
        let zoo = ZooRunner()
        let env = Self.environment(hub, zoo, ["ZOO_HUB_RETRIES": "2"])
        let cache = zoo.scratch.appendingPathComponent("hf-cache")
        func names() async throws -> [String] {
            let list = try await Self.run(zoo, ["encoder", "list", "--json"], env)
            return ((try? list.json()) as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        }

        // Listed, but 404 when fetched: which file, exit 66.
        hub.inject("tokenizer.json", .init(notFound: true))
        let missing = try await Self.run(zoo, ["encoder", "add", "m", "--from", "hf:acme/tiny-bert"], env)
        #expect(missing.status == 66 && missing.stderr.contains("no file 'tokenizer.json'"), "\(missing.stderr)")
        hub.inject("tokenizer.json", .init())

        // A listing with a path that climbs out of the snapshot: refused before any download.
        let before = hub.requests.filter { $0.hasPrefix("resolve acme/hostile") }.count
        let climbing = try await Self.run(zoo, ["encoder", "add", "h", "--from", "hf:acme/hostile"], env)
        #expect(climbing.status == 65 && climbing.stderr.contains("../../../escape.safetensors") && climbing.stderr.contains("refusing"), "\(climbing.stderr)")
        #expect(hub.requests.filter { $0.hasPrefix("resolve acme/hostile") }.count == before)
        let escaped = FileManager.default.enumerator(atPath: zoo.scratch.path)?.compactMap { $0 as? String }.filter { $0.contains("escape") } ?? []
        #expect(escaped.isEmpty, "\(escaped)")

        // Every try dropped half-way: 69, and only the .incomplete file is left in blobs/.
        hub.inject("model.safetensors", .init(dropAfterBytes: weights.count / 4, drops: 2))
        let dropped = try await Self.run(zoo, ["encoder", "add", "d", "--from", "hf:acme/drops"], env)
        #expect(dropped.status == 69 && dropped.stderr.contains("resumes where it stopped"), "\(dropped.stderr)")
        let blobs = cache.appendingPathComponent("models--acme--drops/blobs")
        let partial = blobs.appendingPathComponent(TestHub.sha256(weights) + ".incomplete")
        let kept = ZooRunner.size(partial)
        #expect(kept > 0 && kept < weights.count, "\(kept)")
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(TestHub.sha256(weights)).path))
        #expect(try await names().isEmpty)
        // The next run asks for the rest only, and registers.
        hub.inject("model.safetensors", .init())
        let resumed = try await Self.run(zoo, ["encoder", "add", "d", "--from", "hf:acme/drops", "--json"], env)
        try #require(resumed.status == 0, "\(resumed.stderr)")
        #expect(hub.ranges.last == "model.safetensors bytes=\(kept)-", "\(hub.ranges)")
        let digest = ((try resumed.json() as? [String: Any])?["checkpoint"] as? [String: Any])?["digest"] as? String
        #expect(!FileManager.default.fileExists(atPath: partial.path))

        // A full disk (writes past `ulimit -f` fail as on a full disk), first while downloading
        // into an empty cache, then while copying from a complete cache into the zoo home.
        let small = ZooRunner()
        let smallEnv = Self.environment(hub, small)
        // Room for the catalog's writes (it exists by then) but not for the 250 KiB weights.
        let limit = 128 * 1024
        #expect(weights.count > limit)
        try #require(try await Self.run(small, ["encoder", "list"], smallEnv).status == 0)
        let downloadFull = try await Self.run(small, ["encoder", "add", "f", "--from", "hf:acme/tiny-bert"], smallEnv, fileSizeLimit: limit)
        #expect(downloadFull.status == 74 && downloadFull.stderr.contains("cannot write") && downloadFull.stderr.contains(".incomplete"), "\(downloadFull.stderr)")
        let copyFull = try await Self.run(small, ["encoder", "add", "f", "--from", "hf:acme/drops"],
                                          Self.environment(hub, small, ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1"]), fileSizeLimit: limit)
        #expect(copyFull.status == 74 && copyFull.stderr.contains("checkpoints/.tmp-") && copyFull.stderr.contains("free some space"), "\(copyFull.stderr)")
        let smallList = try await Self.run(small, ["encoder", "list", "--json"], smallEnv)
        #expect(((try? smallList.json()) as? [[String: Any]])?.isEmpty == true, "\(smallList.stdout)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: small.home.appendingPathComponent("checkpoints").path)) ?? []
        #expect(leftovers.filter { $0 != ".lock" }.isEmpty, "\(leftovers)")
        // With room again, the same command works and gives the same checkpoint.
        let roomy = try await Self.run(small, ["encoder", "add", "f", "--from", "hf:acme/tiny-bert", "--json"], smallEnv)
        try #require(roomy.status == 0, "\(roomy.stderr)")
        #expect(((try roomy.json() as? [String: Any])?["checkpoint"] as? [String: Any])?["digest"] as? String == digest)
        await hub.stop()
    }

    @Test("a cache is read like an archive: snapshot links that lead out of the repository's folder (a file, or a linked folder) are 65 with nothing registered; links into blobs/ register")
    func cacheLinksStayInside() async throws {
        let hub = TestHub()
        let zoo = ZooRunner()
        let files = try Self.tinyBertFiles().filter { !["pytorch_model.bin", "onnx/model.onnx", "tf_model.h5"].contains($0.key) }
        let cache = zoo.scratch.appendingPathComponent("hf-cache")
        let outside = zoo.scratch.appendingPathComponent("elsewhere")
        let manager = FileManager.default
        // A cache in huggingface_hub's layout, every file a relative link into blobs/.
        func writeCache(_ repository: String) throws -> URL {
            let folder = cache.appendingPathComponent("models--acme--\(repository)")
            try manager.createDirectory(at: folder.appendingPathComponent("refs"), withIntermediateDirectories: true)
            try Data(Self.commit.utf8).write(to: folder.appendingPathComponent("refs/main"))
            for (path, data) in files {
                let etag = TestHub.sha256(data)
                try manager.createDirectory(at: folder.appendingPathComponent("blobs"), withIntermediateDirectories: true)
                try data.write(to: folder.appendingPathComponent("blobs/\(etag)"))
                let link = folder.appendingPathComponent("snapshots/\(Self.commit)/\(path)")
                try manager.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
                let depth = path.split(separator: "/").count - 1
                try manager.createSymbolicLink(atPath: link.path, withDestinationPath: String(repeating: "../", count: depth + 2) + "blobs/\(etag)")
            }
            return folder.appendingPathComponent("snapshots/\(Self.commit)")
        }
        let env = Self.environment(hub, zoo, ["HF_HUB_OFFLINE": "1"])
        _ = try writeCache("good")
        let good = try await Self.run(zoo, ["encoder", "add", "good", "--from", "hf:acme/good"], env)
        #expect(good.status == 0, "\(good.stderr)")

        // The weights link to a file outside the cache (same bytes, so only the place is wrong).
        let fileOut = try writeCache("file-out")
        try manager.createDirectory(at: outside, withIntermediateDirectories: true)
        try files["model.safetensors"]!.write(to: outside.appendingPathComponent("model.safetensors"))
        try manager.removeItem(at: fileOut.appendingPathComponent("model.safetensors"))
        try manager.createSymbolicLink(atPath: fileOut.appendingPathComponent("model.safetensors").path,
                                       withDestinationPath: outside.appendingPathComponent("model.safetensors").path)
        let refusedFile = try await Self.run(zoo, ["encoder", "add", "f", "--from", "hf:acme/file-out"], env)
        #expect(refusedFile.status == 65 && refusedFile.stderr.contains("model.safetensors") && refusedFile.stderr.contains("elsewhere/model.safetensors"), "\(refusedFile.stderr)")

        // A module folder that is a link to a folder outside, through `..`.
        let folderOut = try writeCache("folder-out")
        try manager.createDirectory(at: outside.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        try files["1_Pooling/config.json"]!.write(to: outside.appendingPathComponent("1_Pooling/config.json"))
        try manager.removeItem(at: folderOut.appendingPathComponent("1_Pooling"))
        try manager.createSymbolicLink(atPath: folderOut.appendingPathComponent("1_Pooling").path, withDestinationPath: "../../../../elsewhere/1_Pooling")
        let refusedFolder = try await Self.run(zoo, ["encoder", "add", "d", "--from", "hf:acme/folder-out"], env)
        #expect(refusedFolder.status == 65 && refusedFolder.stderr.contains("1_Pooling/config.json") && refusedFolder.stderr.contains("refusing"), "\(refusedFolder.stderr)")

        let list = try await Self.run(zoo, ["encoder", "list", "--json"], env)
        #expect(((try? list.json()) as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["good"], "\(list.stdout)")
    }

    @Test("zoo import --fetch: the archive's hf: text encoder is fetched and registered when its digest matches the archive's, refused (65, nothing registered) when it does not")
    func importFetches() async throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit, license: "apache-2.0"))
        try await hub.start()
        // Home A trains a pair whose text side came from the Hub, and packs it.
        let first = ZooRunner()
        let envA = Self.environment(hub, first)
        let train = first.scratch.appendingPathComponent("train")
        try TrainingFixtures.subset(count: 64, into: train)
        try #require(try await Self.run(first, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert"], envA).status == 0)
        try #require(try await Self.run(first, ["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT], envA).status == 0)
        try #require(try await Self.run(first, ["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                                "--captions-from-labels", TrainingFixtures.captionTemplates], envA).status == 0)
        let trained = try await Self.run(first, ["train", "dino+tb", "--data", "fm", "--epochs", "1", "--batch", "32", "--dim", "16"], envA)
        try #require(trained.status == 0, "\(trained.stderr)")
        let archive = first.scratch.appendingPathComponent("pair.zoo")
        try #require(try await Self.run(first, ["pack", "dino+tb", "--output", archive.path], envA).status == 0)

        // Home B has the vision encoder (a local folder) but not the Hub one, and its own cache.
        let second = ZooRunner()
        let envB = Self.environment(hub, second)
        try #require(try await Self.run(second, ["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT], envB).status == 0)
        let without = try await Self.run(second, ["import", archive.path], envB)
        #expect(without.status == 66 && without.stderr.contains("--fetch") && without.stderr.contains("hf:acme/tiny-bert@\(Self.commit)"), "\(without.stderr)")
        let fetched = try await Self.run(second, ["import", archive.path, "--fetch"], envB)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.contains("fetched encoder 'tb' from hf:acme/tiny-bert@\(Self.commit)") && fetched.stdout.contains("imported dino+tb"), "\(fetched.stdout)")
        let scored = try await Self.run(second, ["encode", "dino+tb", "--text", "a photo of a bag"], envB)
        #expect(scored.status == 0, "\(scored.stderr)")

        // Home C's Hub serves other bytes under the same commit: refused, nothing registered.
        var changed = files
        changed["tokenizer_config.json"] = Data(#"{"do_lower_case": true, "model_max_length": 128}"#.utf8)
        hub.add("acme/tiny-bert", .init(files: changed, commit: Self.commit, license: "apache-2.0"))
        let third = ZooRunner()
        let envC = Self.environment(hub, third)
        try #require(try await Self.run(third, ["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT], envC).status == 0)
        let refused = try await Self.run(third, ["import", archive.path, "--fetch"], envC)
        #expect(refused.status == 65 && refused.stderr.contains("the archive recorded") && refused.stderr.contains("refusing"), "\(refused.stderr)")
        let list = try await Self.run(third, ["encoder", "list", "--json"], envC)
        let names = ((try? list.json()) as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names == ["dino"], "\(list.stdout)")
        await hub.stop()
    }
    /// Runs `scripts/hf_cache_check.py` (huggingface_hub) and parses its JSON line.
    static func pythonHub(_ arguments: [String], environment: [String: String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TrainingFixtures.repository.appendingPathComponent("scripts/hf_cache_check.py").path] + arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env.removeValue(forKey: "HF_TOKEN")
        env.removeValue(forKey: "HF_HUB_OFFLINE")
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "hf_cache_check.py \(arguments): \(String(decoding: stderr, as: UTF8.self))")
        return try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
    }

    @Test("the cache is shared with huggingface_hub both ways: it reads zoo's downloads offline, zoo registers its downloads offline with the same checkpoint",
          .enabled(if: ProcessInfo.processInfo.environment["ZOO_HUB_INTEROP"] == "1", "needs Python's huggingface_hub: make hub-interop"))
    func sharedWithHuggingFaceHub() async throws {
        let hub = TestHub()
        let files = try Self.tinyBertFiles()
        hub.add("acme/tiny-bert", .init(files: files, commit: Self.commit, branches: ["main", "v1"], license: "apache-2.0"))
        try await hub.start()
        let zoo = ZooRunner()
        let cache = zoo.scratch.appendingPathComponent("hf-cache")
        let env = Self.environment(hub, zoo)
        let added = try await Self.run(zoo, ["encoder", "add", "tb", "--from", "hf:acme/tiny-bert@v1", "--json"], env)
        try #require(added.status == 0, "\(added.stderr)")
        let zooDigest = ((try added.json() as? [String: Any])?["checkpoint"] as? [String: Any])?["digest"] as? String

        // huggingface_hub, offline, finds zoo's snapshot, and its cache scanner has no complaint.
        let read = try Self.pythonHub(["read", "acme/tiny-bert", "v1", cache.path], environment: env)
        #expect((read["snapshot"] as? String).map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            == cache.appendingPathComponent("models--acme--tiny-bert/snapshots/\(Self.commit)").standardizedFileURL.path)
        #expect((read["files"] as? [String: String])?["model.safetensors"] == "models--acme--tiny-bert/blobs/\(TestHub.sha256(files["model.safetensors"]!))")
        #expect(read["repos"] as? [String] == ["acme/tiny-bert"] && read["refs"] as? [String] == ["v1"], "\(read)")
        #expect((read["warnings"] as? [Any])?.isEmpty == true, "\(read)")

        // huggingface_hub downloads into another cache; zoo registers it offline, same checkpoint.
        let other = zoo.scratch.appendingPathComponent("python-cache")
        let downloaded = try Self.pythonHub(["download", "acme/tiny-bert", "main", other.path], environment: env)
        #expect((downloaded["warnings"] as? [Any])?.isEmpty == true, "\(downloaded)")
        let before = hub.requests.count
        let offline = try await Self.run(zoo, ["encoder", "add", "tb-python", "--from", "hf:acme/tiny-bert", "--json"],
                                         Self.environment(hub, zoo, ["HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": other.path]))
        try #require(offline.status == 0, "\(offline.stderr)")
        let offlineJSON = try #require(try offline.json() as? [String: Any])
        #expect((offlineJSON["checkpoint"] as? [String: Any])?["digest"] as? String == zooDigest)
        #expect((offlineJSON["hub"] as? [String: Any])?["from_cache"] as? Bool == true)
        #expect(hub.requests.count == before)
        await hub.stop()
    }
}
