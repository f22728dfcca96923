import Foundation
import Testing

/// `zoo train` end to end through the real binary: a tiny 28 px DINOv2 on a Fashion-MNIST
/// subset, the real all-MiniLM-L6-v2 on captions made from the labels.
@Suite("zoo train", .serialized)
struct CLITrainTests {
    /// A home with `dino`, `minilm` and the pairs dataset `fm` of `count` images.
    private func prepared(count: Int) throws -> ZooRunner {
        let miniLM = try #require(CLITextEncoderTests.miniLM, "all-MiniLM-L6-v2 is missing (make test fetches it)")
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let data = zoo.scratch.appendingPathComponent("fmnist")
        try TrainingFixtures.subset(count: count, into: data)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--alias", "minilm", "--from", miniLM.path]).status == 0)
        let add = try zoo.run([
            "dataset", "add", "fm", "--path", data.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
            "--captions-from-labels", TrainingFixtures.captionTemplates,
        ])
        try #require(add.status == 0, "\(add.stderr)")
        return zoo
    }

    private func losses(_ projector: [String: Any]) -> [Double] {
        (projector["history"] as? [[String: Any]] ?? []).compactMap { $0["loss"] as? Double }
    }

    @Test("token and pooled projectors train, loss falls, the same seed gives the same checkpoint digest")
    func trainTokenAndPooled() throws {
        let zoo = try prepared(count: 256)
        let common = ["--data", "fm", "--epochs", "4", "--batch", "32", "--dim", "32", "--lr", "2e-3", "--json"]
        let token = try zoo.run(["train", "dino+minilm@t1"] + common)
        #expect(token.status == 0, "\(token.stderr)")
        let tokenRow = try #require(try token.json() as? [String: Any])
        let tokenLosses = losses(tokenRow)
        #expect(tokenLosses.count == 4)
        #expect(tokenLosses.last! < tokenLosses.first! - 0.05, "token loss \(tokenLosses)")
        let architecture = try #require(tokenRow["architecture"] as? [String: Any])
        #expect(architecture["input"] as? String == "tokens")
        #expect(architecture["visionLocal"] as? String == "token")
        let summary = try #require(tokenRow["data_summary"] as? [String: Any])
        #expect(summary["items"] as? Int == 256)
        #expect(summary["captions"] as? Int == 180)  // 12 templates × 10 classes + 6 own captions per class

        let pooled = try zoo.run(["train", "dino+minilm@p1", "--projector", "pooled"] + common)
        #expect(pooled.status == 0, "\(pooled.stderr)")
        let pooledLosses = losses(try #require(try pooled.json() as? [String: Any]))
        #expect(pooledLosses.last! < pooledLosses.first! - 0.05, "pooled loss \(pooledLosses)")

        // Identical training (same seed, data and threads) gives the identical stored bytes.
        let again = try zoo.run(["train", "dino+minilm", "--tag", "t2"] + common)
        #expect(again.status == 0, "\(again.stderr)")
        let shown = try #require(try zoo.run(["projector", "show", "dino+minilm@t2", "--json"]).json() as? [String: Any])
        #expect(shown["checkpoint_digest"] as? String == tokenRow["checkpoint_digest"] as? String)
        // A different seed gives other weights.
        let seeded = try #require(try zoo.run(["train", "dino+minilm@s7", "--seed", "7"] + common).json() as? [String: Any])
        #expect(seeded["checkpoint_digest"] as? String != tokenRow["checkpoint_digest"] as? String)

        let list = try #require(try zoo.run(["projector", "list", "--json"]).json() as? [[String: Any]])
        #expect(Set(list.compactMap { $0["tag"] as? String }) == ["t1", "p1", "t2", "s7"])
        // The tag is taken: 65. Remove needs a tag: 64. Removing t2 keeps t1's files (same digest).
        #expect(try zoo.run(["train", "dino+minilm@t1"] + common).status == 65)
        #expect(try zoo.run(["projector", "remove", "dino+minilm"]).status == 64)
        #expect(try zoo.run(["projector", "remove", "dino+minilm@t2"]).status == 0)
        #expect(try zoo.run(["verify"]).status == 0)
        #expect(try zoo.run(["projector", "show", "dino+minilm@t1"]).status == 0)
    }

    @Test("a run killed after an epoch resumes to the same weights as an uninterrupted run; a full disk keeps the last checkpoint")
    func resumeAfterKill() throws {
        let zoo = try prepared(count: 512)
        let common = ["--data", "fm", "--epochs", "5", "--batch", "32", "--dim", "64"]
        let full = try #require(try zoo.run(["train", "dino+minilm@full"] + common + ["--json"]).json() as? [String: Any])

        let state = zoo.home.appendingPathComponent("runs/dino+all-MiniLM-L6-v2@cut/state.safetensors").path
        let process = try zoo.shell("exec \"$ZOO\" train dino+minilm@cut \(common.joined(separator: " ")) --home \"$HOME_DIR\" 2>/dev/null")
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: state) && process.isRunning && Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: state), "no epoch checkpoint appeared before the run ended")
        #expect((try zoo.run(["projector", "list", "--json"]).json() as? [[String: Any]])?.count == 1)

        // A full disk while writing the next epoch checkpoint (simulated with a file-size limit
        // smaller than the checkpoint) fails with 74 and leaves the previous checkpoint intact.
        let saved = try Data(contentsOf: URL(fileURLWithPath: state))
        let blocks = max(saved.count / 2048, 1)
        let limited = try zoo.shell("trap '' XFSZ; ulimit -f \(blocks); exec \"$ZOO\" train dino+minilm@cut --resume \(common.joined(separator: " ")) --home \"$HOME_DIR\" 2>/dev/null")
        limited.waitUntilExit()
        #expect(limited.terminationStatus == 74)
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == saved)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (state as NSString).deletingLastPathComponent)
        #expect(leftovers.sorted() == ["run.json", "state.safetensors"])

        // Starting over without --resume is refused; other settings are refused; --resume finishes.
        #expect(try zoo.run(["train", "dino+minilm@cut"] + common).status == 65)
        #expect(try zoo.run(["train", "dino+minilm@cut", "--resume"] + common.dropLast(1) + ["32"]).status == 64)
        let resumed = try zoo.run(["train", "dino+minilm@cut", "--resume", "--json"] + common)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let row = try #require(try resumed.json() as? [String: Any])
        #expect(row["checkpoint_digest"] as? String == full["checkpoint_digest"] as? String)
        #expect(losses(row) == losses(full))
        #expect(!FileManager.default.fileExists(atPath: state))
    }

    @Test("bad training input: NaN loss stops with the step, widths that do not fit, a classification dataset")
    func badInput() throws {
        let zoo = try prepared(count: 64)
        let nan = try zoo.run(["train", "dino+minilm", "--data", "fm", "--epochs", "2", "--batch", "16", "--dim", "16", "--lr", "1e38", "--warmup", "0"])
        #expect(nan.status == 65)
        #expect(nan.stderr.contains("loss became"), "\(nan.stderr)")
        #expect((try zoo.run(["projector", "list", "--json"]).json() as? [Any])?.isEmpty == true)
        // An identity text branch without a head cannot map 384-wide MiniLM tokens to a 16-wide space.
        let widths = try zoo.run(["train", "dino+minilm", "--data", "fm", "--dim", "16", "--text-token", "identity", "--text-head", "off", "--epochs", "1"])
        #expect(widths.status == 64, "\(widths.stderr)")
        #expect(try zoo.run(["train", "minilm+dino", "--data", "fm"]).status == 64)
        let data = zoo.scratch.appendingPathComponent("fmnist").path
        try #require(try zoo.run(["dataset", "add", "fm-cls", "--path", data, "--format", "idx", "--task", "classification",
                                  "--classnames", TrainingFixtures.classNames]).status == 0)
        let classification = try zoo.run(["train", "dino+minilm", "--data", "fm-cls"])
        #expect(classification.status == 64)
        #expect(classification.stderr.contains("--captions-from-labels"))
        #expect(try zoo.run(["train", "dino+minilm", "--data", "nope"]).status == 66)
        #expect(try zoo.run(["train", "dino+minilm", "--data", "fm", "--batch", "1"]).status == 64)
    }
}
