import Foundation
import Testing

/// `zoo dataset` and `zoo embed` through the real binary on a Fashion-MNIST subset.
@Suite("zoo dataset and embed", .serialized)
struct CLIDatasetEmbedTests {
    /// A home with the 28 px DINOv2 registered as `dino` and a 96-image training subset.
    private func prepared() throws -> (ZooRunner, URL) {
        let zoo = ZooRunner()
        let data = zoo.scratch.appendingPathComponent("fmnist")
        try TrainingFixtures.subset(count: 96, into: data)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        return (zoo, data)
    }

    @Test("dataset add, list, show --count and remove; bad input is refused with its exit code")
    func datasetCommands() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let (zoo, data) = try prepared()
        let add = try zoo.run([
            "dataset", "add", "fm", "--path", data.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
            "--captions-from-labels", TrainingFixtures.captionTemplates, "--json",
        ])
        #expect(add.status == 0, "\(add.stderr)")
        let added = try #require(try add.json() as? [String: Any])
        #expect(added["task"] as? String == "pairs")
        #expect((added["classnames"] as? [String])?.count == 10)

        let show = try zoo.run(["dataset", "show", "fm", "--count", "--json"])
        let shown = try #require(try show.json() as? [String: Any])
        #expect(shown["items"] as? Int == 96)
        #expect((shown["ids_digest"] as? String)?.count == 64)
        let list = try #require(try zoo.run(["dataset", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == ["fm"])

        // Same name again: 65. Unknown dataset: 66 with a suggestion. Missing path: 66.
        #expect(try zoo.run(["dataset", "add", "fm", "--path", data.path, "--format", "idx", "--task", "classification",
                             "--classnames", TrainingFixtures.classNames]).status == 65)
        let unknown = try zoo.run(["dataset", "show", "fn"])
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("'fm'"))
        #expect(try zoo.run(["dataset", "add", "gone", "--path", "/nonexistent/fm", "--format", "idx"]).status == 66)
        // A classification dataset without class names is a usage error.
        #expect(try zoo.run(["dataset", "add", "nocls", "--path", data.path, "--format", "idx", "--task", "classification"]).status == 64)

        // A wrong IDX magic is a data error naming the file.
        let broken = zoo.scratch.appendingPathComponent("broken")
        try FileManager.default.copyItem(at: data, to: broken)
        let imagesFile = broken.appendingPathComponent("train-images-idx3-ubyte")
        var bytes = try Data(contentsOf: imagesFile)
        bytes[3] = 0x07
        try bytes.write(to: imagesFile)
        let bad = try zoo.run(["dataset", "add", "broken", "--path", broken.path, "--format", "idx", "--classnames", TrainingFixtures.classNames, "--task", "classification"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("train-images-idx3-ubyte"))

        // A caption template without {c} names the file and line.
        let templates = zoo.scratch.appendingPathComponent("templates.txt")
        try Data("a photo of a {c}.\na photo without a slot\n".utf8).write(to: templates)
        let badTemplate = try zoo.run(["dataset", "add", "t", "--path", data.path, "--format", "idx", "--classnames",
                                       TrainingFixtures.classNames, "--captions-from-labels", templates.path])
        #expect(badTemplate.status == 65)
        #expect(badTemplate.stderr.contains("templates.txt:2"))
        // Class-specific captions ('CLASS: caption') need no {c}; an empty one, or a class left
        // without any caption when there is no template, is refused naming the file.
        try Data("sandal: an open summer sandal.\nsandal:\n".utf8).write(to: templates)
        let emptyCaption = try zoo.run(["dataset", "add", "t", "--path", data.path, "--format", "idx", "--classnames",
                                        TrainingFixtures.classNames, "--captions-from-labels", templates.path])
        #expect(emptyCaption.status == 65)
        #expect(emptyCaption.stderr.contains("templates.txt:2"), "\(emptyCaption.stderr)")
        try Data("sandal: an open summer sandal.\nbag: a leather handbag.\n".utf8).write(to: templates)
        let bare = try zoo.run(["dataset", "add", "t", "--path", data.path, "--format", "idx", "--classnames",
                                TrainingFixtures.classNames, "--captions-from-labels", templates.path])
        #expect(bare.status == 65)
        #expect(bare.stderr.contains("templates.txt") && bare.stderr.contains("'t-shirt' has no caption"), "\(bare.stderr)")

        // Held-out classes: their items leave the dataset; an unknown class name is a usage error.
        let labels = try Data(contentsOf: data.appendingPathComponent("train-labels-idx1-ubyte")).dropFirst(8)
        let kept = labels.filter { $0 != 5 && $0 != 8 }.count
        #expect(try zoo.run(["dataset", "add", "fm-heldout", "--path", data.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                             "--captions-from-labels", TrainingFixtures.captionTemplates, "--exclude-classes", "sandal,bag"]).status == 0)
        let heldOut = try #require(try zoo.run(["dataset", "show", "fm-heldout", "--count", "--json"]).json() as? [String: Any])
        #expect(heldOut["items"] as? Int == kept)
        #expect(kept < 96)
        #expect(try zoo.run(["dataset", "add", "fm-bad", "--path", data.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                             "--exclude-classes", "sandals"]).status == 64)

        #expect(try zoo.run(["dataset", "remove", "fm"]).status == 0)
        #expect((try zoo.run(["dataset", "list", "--json"]).json() as? [[String: Any]])?.map { $0["name"] as? String } == ["fm-heldout"])
    }

    @Test("embed caches once: a second run computes nothing; shards fill one cache; damaged segments are named")
    func embedCache() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let (zoo, data) = try prepared()
        try #require(try zoo.run(["dataset", "add", "fm", "--path", data.path, "--format", "idx", "--classnames",
                                  TrainingFixtures.classNames, "--task", "classification"]).status == 0)
        // Two shards, as two machines would compute them, land in the same cache folder.
        let first = try #require(try zoo.run(["embed", "dino", "fm", "--tokens", "--shard", "0/2", "--json"]).json() as? [String: Any])
        #expect(first["encoded"] as? Int == 48)
        #expect(first["cached"] as? Int == 48)
        let second = try #require(try zoo.run(["embed", "dino", "fm", "--tokens", "--shard", "1/2", "--json"]).json() as? [String: Any])
        #expect(second["encoded"] as? Int == 48)
        #expect(second["cached"] as? Int == 96)
        #expect(first["cache"] as? String == second["cache"] as? String)
        // Everything cached: no forward pass.
        let again = try #require(try zoo.run(["embed", "dino", "fm", "--tokens", "--json"]).json() as? [String: Any])
        #expect(again["encoded"] as? Int == 0)
        #expect(again["cached"] as? Int == 96)

        // f16 is a separate cache; a bad shard spec is a usage error.
        let half = try #require(try zoo.run(["embed", "dino", "fm", "--dtype", "f16", "--json"]).json() as? [String: Any])
        #expect(half["encoded"] as? Int == 96)
        #expect(half["cache"] as? String != first["cache"] as? String)
        #expect(try zoo.run(["embed", "dino", "fm", "--shard", "2/2"]).status == 64)

        // A damaged segment is a data error naming it.
        let folder = URL(fileURLWithPath: try #require(first["cache"] as? String))
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("seg-") })
        try Data("not a safetensors file".utf8).write(to: folder.appendingPathComponent(segment))
        let damaged = try zoo.run(["embed", "dino", "fm", "--tokens"])
        #expect(damaged.status == 65)
        #expect(damaged.stderr.contains(segment))
    }

    @Test("a corrupt image in a WebDataset shard is 65 naming shard and key; --skip-bad embeds the rest and counts it")
    func corruptImageInShard() throws {
        let zoo = ZooRunner()
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        let members = zoo.scratch.appendingPathComponent("members")
        try FileManager.default.createDirectory(at: members, withIntermediateDirectories: true)
        let images = ZooRunner.fixtures.appendingPathComponent("vision/images")
        try FileManager.default.copyItem(at: images.appendingPathComponent("camera_gray.png"), to: members.appendingPathComponent("s000.png"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A]).write(to: members.appendingPathComponent("s001.jpg"))
        try FileManager.default.copyItem(at: images.appendingPathComponent("china.jpg"), to: members.appendingPathComponent("s002.jpg"))
        for (key, caption) in [("s000", "a grey photo of a man"), ("s001", "broken"), ("s002", "a temple in china")] {
            try Data(caption.utf8).write(to: members.appendingPathComponent("\(key).txt"))
        }
        let shard = zoo.scratch.appendingPathComponent("pairs-00000.tar")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-cf", shard.path, "-C", members.path, "s000.png", "s000.txt", "s001.jpg", "s001.txt", "s002.jpg", "s002.txt"]
        try tar.run()
        tar.waitUntilExit()
        try #require(tar.terminationStatus == 0)
        let add = try zoo.run(["dataset", "add", "shards", "--path", shard.path, "--format", "wds", "--json"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect((try add.json() as? [String: Any])?["task"] as? String == "pairs")

        let strict = try zoo.run(["embed", "dino", "shards"])
        #expect(strict.status == 65)
        #expect(strict.stderr.contains("pairs-00000.tar/s001"), "\(strict.stderr)")
        let skipped = try zoo.run(["embed", "dino", "shards", "--skip-bad", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("skipped 1 bad images"))
        let result = try #require(try skipped.json() as? [String: Any])
        #expect(result["cached"] as? Int == 2)
    }
}
