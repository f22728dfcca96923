import Foundation
import GRDB
import Runtime
import Testing

/// Cluster shards through the real binary: `zoo embed --shard env`, `zoo cache status|merge`
/// and `zoo embed --emit slurm|k8s`, on a 96-image Fashion-MNIST subset and the 28 px DINOv2.
@Suite("zoo embed shards and zoo cache", .serialized)
struct CLIClusterShardTests {
    /// A home with `dino` and the classification dataset `fm` (96 images).
    private func prepared(_ zoo: ZooRunner = ZooRunner()) throws -> ZooRunner {
        let data = zoo.scratch.appendingPathComponent("fmnist")
        if !FileManager.default.fileExists(atPath: data.path) { try TrainingFixtures.subset(count: 96, into: data) }
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", data.path, "--format", "idx", "--classnames",
                                  TrainingFixtures.classNames, "--task", "classification"]).status == 0)
        return zoo
    }

    private func json(_ result: CLIResult) throws -> [String: Any] {
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try result.json() as? [String: Any])
    }

    private func files(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// Every cached pooled embedding of `folder`, by id, as raw bits.
    private func embeddings(_ folder: URL) throws -> [String: [UInt32]] {
        let cache = try EmbeddingCache(folder: folder)
        var result: [String: [UInt32]] = [:]
        var row = [Float](repeating: 0, count: cache.layout.pooledWidth)
        for id in cache.ids {
            row.withUnsafeMutableBufferPointer { cache.copyPooled(cache.location(of: id)!, to: $0.baseAddress!) }
            result[id] = row.map(\.bitPattern)
        }
        return result
    }

    @Test("Kubernetes-index shards fill one cache; status names the missing shard; a done shard is not rewritten; the merge equals one process bit for bit")
    func shardsStatusMerge() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = try prepared()
        func task(_ index: Int) throws -> CLIResult {
            try zoo.run(["embed", "dino", "fm", "--shard", "env", "--segment-items", "8", "--json"],
                        environment: ["JOB_COMPLETION_INDEX": String(index), "ZOO_SHARD_COUNT": "3"])
        }
        // Tasks never write the catalog: its bytes and the home's top level stay as they were.
        let catalogFile = zoo.home.appendingPathComponent("zoo.sqlite")
        let catalogBefore = try Data(contentsOf: catalogFile)
        let homeBefore = try files(zoo.home)
        let first = try json(task(0))
        #expect(first["shard"] as? String == "0/3")
        #expect(first["items"] as? Int == 32)
        #expect(first["encoded"] as? Int == 32)
        #expect(first["already_done"] as? Bool == false)
        _ = try json(task(1))
        #expect(try Data(contentsOf: catalogFile) == catalogBefore)
        #expect(Set(try files(zoo.home)) == Set(homeBefore + ["cache"]))
        let folder = URL(fileURLWithPath: try #require(first["cache"] as? String))
        #expect(try files(folder).contains("done-s1of3.json"))
        #expect(try files(folder).allSatisfy { !$0.hasSuffix(".sqlite") })

        let partial = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        #expect(partial["shards"] as? Int == 3)
        #expect(partial["done"] as? [Int] == [0, 1])
        #expect(partial["missing"] as? [Int] == [2])
        #expect(partial["resubmit"] as? String == "2")
        #expect(partial["items_missing"] as? Int == 32)
        #expect(partial["complete"] as? Bool == false)
        let text = try zoo.run(["cache", "status", "dino", "fm"])
        #expect(text.stdout.contains("resubmit: --array=2"), "\(text.stdout)")
        let refused = try zoo.run(["cache", "merge", "dino", "fm"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("shards 2 of 3 are not done"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--array=2"))

        _ = try json(task(2))
        let before = try files(folder)
        let marker = folder.appendingPathComponent("done-s2of3.json")
        let markerBytes = try Data(contentsOf: marker)
        let again = try json(task(2))
        #expect(again["already_done"] as? Bool == true)
        #expect(again["encoded"] as? Int == 0)
        #expect(try files(folder) == before)
        #expect(try Data(contentsOf: marker) == markerBytes)

        let complete = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        #expect(complete["complete"] as? Bool == true)
        #expect(complete["items_done"] as? Int == 96)
        let sharded = try embeddings(folder)
        let merged = try json(zoo.run(["cache", "merge", "dino", "fm", "--json"]))
        #expect(merged["items"] as? Int == 96)
        #expect(merged["shards"] as? Int == 3)
        let after = try files(folder)
        #expect(after.contains("merged.json"))
        #expect(!after.contains { $0.hasPrefix("done-") || $0.hasPrefix("seg-s") })
        #expect(try embeddings(folder) == sharded)
        let status = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        #expect(status["merged"] as? Bool == true)
        #expect(status["complete"] as? Bool == true)
        // Merging again only records again.
        #expect(try zoo.run(["cache", "merge", "dino", "fm"]).status == 0)

        // The catalog holds the merged cache.
        let catalog = try DatabaseQueue(path: zoo.home.appendingPathComponent("zoo.sqlite").path)
        let row = try catalog.read { db in try Row.fetchOne(db, sql: "SELECT item_count, shards, folder FROM embedding_cache") }
        #expect(row?["item_count"] as Int? == 96)
        #expect(row?["shards"] as Int? == 3)
        #expect(row?["folder"] as String? == folder.path)

        // One process over the same data: the same bits for every item.
        let single = ZooRunner()
        try FileManager.default.createDirectory(at: single.scratch, withIntermediateDirectories: true)
        try TrainingFixtures.subset(count: 96, into: single.scratch.appendingPathComponent("fmnist"))
        _ = try prepared(single)
        let one = try json(single.run(["embed", "dino", "fm", "--json"]))
        let reference = try embeddings(URL(fileURLWithPath: try #require(one["cache"] as? String)))
        #expect(reference.count == 96)
        #expect(reference == sharded)
    }

    @Test("a corrupt segment is named by status and refused by merge; shards of another N and foreign markers are 65")
    func badShards() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = try prepared()
        let zero = try json(zoo.run(["embed", "dino", "fm", "--shard", "env", "--json"], environment: ["ZOO_SHARD": "0/2"]))
        _ = try json(zoo.run(["embed", "dino", "fm", "--shard", "1/2", "--json"]))
        let folder = URL(fileURLWithPath: try #require(zero["cache"] as? String))

        // Shards of another N: 65 naming both.
        let mixed = try zoo.run(["embed", "dino", "fm", "--shard", "0/3"])
        #expect(mixed.status == 65)
        #expect(mixed.stderr.contains("N=2") && mixed.stderr.contains("N=3"), "\(mixed.stderr)")
        #expect(try zoo.run(["cache", "status", "dino", "fm", "--shards", "3"]).status == 65)

        // One flipped byte in shard 1's segment.
        let segment = try #require(try files(folder).first { $0.hasPrefix("seg-s1of2-") })
        let url = folder.appendingPathComponent(segment)
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: url)
        let status = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        let corrupt = try #require(status["corrupt"] as? [[String: Any]])
        #expect(corrupt.count == 1)
        #expect(corrupt.first?["file"] as? String == segment)
        #expect(corrupt.first?["shard"] as? Int == 1)
        #expect(status["resubmit"] as? String == "1")
        let refused = try zoo.run(["cache", "merge", "dino", "fm"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains(segment))
        // The task of that shard refuses too, rather than vouching for bad bytes.
        #expect(try zoo.run(["embed", "dino", "fm", "--shard", "1/2"]).status == 65)
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: url)

        // A marker from another encoder checkpoint is foreign: reported, never merged.
        let markerURL = folder.appendingPathComponent("done-s0of2.json")
        var marker = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: markerURL)) as? [String: Any])
        marker["encoder_digest"] = String(repeating: "0", count: 64)
        try JSONSerialization.data(withJSONObject: marker).write(to: markerURL)
        let foreign = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        #expect((foreign["foreign"] as? [[String: Any]])?.first?["file"] as? String == "done-s0of2.json")
        #expect(foreign["resubmit"] as? String == "0")
        let refusedForeign = try zoo.run(["cache", "merge", "dino", "fm"])
        #expect(refusedForeign.status == 65)
        #expect(refusedForeign.stderr.contains("another checkpoint"), "\(refusedForeign.stderr)")
        let task = try zoo.run(["embed", "dino", "fm", "--shard", "0/2"])
        #expect(task.status == 65)
    }

    @Test("what a killed task leaves (finished segments, a temporary file, no marker) is completed by its rerun")
    func killedTask() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = try prepared()
        let done = try json(zoo.run(["embed", "dino", "fm", "--shard", "0/1", "--segment-items", "16", "--batch", "16", "--json"]))
        let folder = URL(fileURLWithPath: try #require(done["cache"] as? String))
        let reference = try embeddings(folder)
        let segments = try files(folder).filter { $0.hasPrefix("seg-") }
        #expect(segments.count == 6)
        // The state a kill during the fourth segment's write leaves: three segments, a temporary file.
        for name in segments.dropFirst(3) { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("done-s0of1.json"))
        try Data(repeating: 7, count: 100).write(to: folder.appendingPathComponent(".\(segments[3]).tmp-0000"))
        let missing = try json(zoo.run(["cache", "status", "dino", "fm", "--json"]))
        #expect(missing["missing"] as? [Int] == [0])
        let rerun = try json(zoo.run(["embed", "dino", "fm", "--shard", "0/1", "--segment-items", "16", "--batch", "16", "--json"]))
        #expect(rerun["encoded"] as? Int == 48)
        #expect(rerun["items"] as? Int == 96)
        #expect(try embeddings(folder) == reference)
        _ = try json(zoo.run(["cache", "merge", "dino", "fm", "--json"]))
        #expect(try files(folder).allSatisfy { !$0.contains(".tmp-") })
    }

    @Test("--emit slurm writes the array job and the afterok merge; --emit k8s an Indexed Job that passes the schema check")
    func emit() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = try prepared()
        let slurm = try zoo.run(["embed", "dino", "fm", "--emit", "slurm", "--shards", "4", "--parallel", "2", "--time", "2:00:00",
                                 "--partition", "cpu", "--cpus", "2", "--mem", "4G", "--dtype", "f16"])
        #expect(slurm.status == 0, "\(slurm.stderr)")
        for line in ["#SBATCH --array=0-3%2", "#SBATCH --time=2:00:00", "#SBATCH --partition=cpu", "#SBATCH --cpus-per-task=2",
                     "#SBATCH --mem=4G", "export ZOO_SHARD_COUNT=4", "--dependency=\"afterok:${job}\"",
                     "exec \"$ZOO\" embed dino fm --shard env --dtype f16", "cache merge dino fm --shards 4 --dtype f16"] {
            #expect(slurm.stdout.contains(line), "\(line)")
        }
        let script = zoo.scratch.appendingPathComponent("embed.sbatch")
        let written = try zoo.run(["embed", "dino", "fm", "--emit", "slurm", "--shards", "4", "--output", script.path])
        #expect(written.status == 0)
        let syntax = Process()
        syntax.executableURL = URL(fileURLWithPath: "/bin/bash")
        syntax.arguments = ["-n", script.path]
        try syntax.run()
        syntax.waitUntilExit()
        #expect(syntax.terminationStatus == 0)

        let manifest = zoo.scratch.appendingPathComponent("embed.yaml")
        let k8s = try zoo.run(["embed", "dino", "fm", "--emit", "k8s", "--shards", "4", "--parallel", "2", "--cpus", "2",
                               "--mem", "4G", "--output", manifest.path])
        #expect(k8s.status == 0, "\(k8s.stderr)")
        let yaml = try String(contentsOf: manifest, encoding: .utf8)
        for line in ["completionMode: Indexed", "completions: 4", "parallelism: 2", "backoffLimitPerIndex: 2", "restartPolicy: Never",
                     "- name: ZOO_SHARD_COUNT", "value: \"4\"", "\"--shard\", \"env\"", "app.kubernetes.io/component: merge"] {
            #expect(yaml.contains(line), "\(line)")
        }
        // The schema check needs Python's jsonschema and PyYAML (make slurm-test installs them and
        // runs the same check); without them this part is left to that target.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import jsonschema, yaml"]
        probe.standardError = Pipe()
        try probe.run()
        probe.waitUntilExit()
        if probe.terminationStatus == 0 { try checkManifest(manifest) }

        #expect(try zoo.run(["embed", "dino", "fm", "--emit", "slurm"]).status == 64)
        #expect(try zoo.run(["embed", "dino", "fm", "--emit", "slurm", "--shards", "2", "--time", "soon"]).status == 64)
        #expect(try zoo.run(["embed", "dino", "fm", "--emit", "k8s", "--shards", "2", "--shard", "0/2"]).status == 64)
        let noEnvironment = try zoo.run(["embed", "dino", "fm", "--shard", "env"], environment: [
            "SLURM_ARRAY_TASK_ID": "", "JOB_COMPLETION_INDEX": "", "ZOO_SHARD": "", "ZOO_SHARD_COUNT": "",
        ])
        #expect(noEnvironment.status == 64)
        #expect(noEnvironment.stderr.contains("JOB_COMPLETION_INDEX") && noEnvironment.stderr.contains("SLURM_ARRAY_TASK_ID"))
    }

    /// Runs scripts/check_k8s_job.py on `manifest`; it must accept it.
    private func checkManifest(_ manifest: URL) throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", TrainingFixtures.repository.appendingPathComponent("scripts/check_k8s_job.py").path, manifest.path]
        let err = Pipe()
        check.standardError = err
        check.standardOutput = Pipe()
        try check.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "\(message)")
    }
}
