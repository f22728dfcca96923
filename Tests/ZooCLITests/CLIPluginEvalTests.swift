import Foundation
import Testing

/// The example plugin as the vision side of a whole train → eval loop through the CLI.
@Suite("zoo eval with the example plugin")
struct CLIPluginEvalTests {
    @Test("a pooled projector trains on the pixel-stats plugin's embeddings and evaluates zero-shot")
    func pluginTrainAndEval() throws {
        let miniLM = try #require(CLITextEncoderTests.miniLM, "all-MiniLM-L6-v2 is missing (make test fetches it)")
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let library = try CLIPluginTests.buildExample(in: zoo)
        try #require(try zoo.run(["plugin", "add", library]).status == 0)
        try #require(try zoo.run(["encoder", "add", "stats", "--backend", "plugin:pixel_stats", "--from", CLIPluginTests.model.path]).status == 0)
        try #require(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--alias", "minilm", "--from", miniLM.path]).status == 0)
        let train = zoo.scratch.appendingPathComponent("train")
        let test = zoo.scratch.appendingPathComponent("test")
        try TrainingFixtures.subset(count: 256, into: train)
        try TrainingFixtures.subset(count: 100, split: "t10k", into: test)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                  "--captions-from-labels", TrainingFixtures.captionTemplates]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm-test", "--path", test.path, "--format", "idx", "--task", "classification",
                                  "--classnames", TrainingFixtures.classNames]).status == 0)
        let trained = try zoo.run(["train", "stats+minilm", "--data", "fm", "--projector", "pooled", "--epochs", "3", "--batch", "32", "--dim", "32", "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let evaluated = try zoo.run(["eval", "stats+minilm", "fm-test", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let metrics = try #require((try evaluated.json() as? [String: Any])?["metrics"] as? [String: Double])
        let acc1 = try #require(metrics["acc1"])
        #expect(acc1 >= 0 && acc1 <= 1)
        #expect(metrics["acc5"] != nil)
        let results = try #require(try zoo.run(["results", "--json"]).json() as? [[String: Any]])
        #expect(results.first?["model"] as? String == "stats+all-MiniLM-L6-v2")
    }
}
