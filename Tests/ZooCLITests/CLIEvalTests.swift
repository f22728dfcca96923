import Foundation
import Registry
import Runtime
import Testing
import ZooKit

/// `zoo score`, `zoo eval` and `zoo results` through the real binary.
@Suite("zoo eval, score and results", .serialized)
struct CLIEvalTests {
    static let scoreFixtures = ZooRunner.fixtures.appendingPathComponent("score")

    @Test("zoo score matches the metrics the committed numpy script computes", arguments: ["classification", "retrieval"])
    func scoreMatchesReference(kind: String) throws {
        let zoo = ZooRunner()
        let expectedAll = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.scoreFixtures.appendingPathComponent("expected.json"))) as? [String: [String: Double]])
        let expected = try #require(expectedAll[kind])
        let result = try zoo.run(["score", kind, "--embeddings", Self.scoreFixtures.appendingPathComponent("\(kind).safetensors").path, "--json"], withHome: false)
        #expect(result.status == 0, "\(result.stderr)")
        let metrics = try #require((try result.json() as? [String: Any])?["metrics"] as? [String: Double])
        #expect(Set(metrics.keys) == Set(expected.keys))
        for (name, value) in expected {
            #expect(abs((metrics[name] ?? -1) - value) < 1e-12, "\(name): \(metrics[name] ?? -1) vs \(value)")
        }
    }

    @Test("zoo score: mismatched widths, labels out of range, a missing tensor or file")
    func scoreBadInput() throws {
        let zoo = ZooRunner()
        func write(_ name: String, _ tensors: [(String, String, [Int], [UInt8])]) throws -> String {
            // A minimal safetensors writer: header JSON then the raw bytes, in order.
            var header: [String: Any] = [:]
            var offset = 0
            var data = Data()
            for (tensor, dtype, shape, bytes) in tensors {
                header[tensor] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes.count]]
                offset += bytes.count
                data.append(contentsOf: bytes)
            }
            var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            while json.count % 8 != 0 { json.append(0x20) }
            var file = Data(withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init))
            file.append(json)
            file.append(data)
            let url = zoo.scratch.appendingPathComponent(name)
            try file.write(to: url)
            return url.path
        }
        func floats(_ count: Int) -> [UInt8] { (0..<count).flatMap { withUnsafeBytes(of: Float($0 % 7 + 1).bitPattern.littleEndian, Array.init) } }
        func longs(_ values: [Int64]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        let widths = try write("widths.safetensors", [("image", "F32", [2, 3], floats(6)), ("classes", "F32", [2, 4], floats(8)), ("labels", "I64", [2], longs([0, 1]))])
        let widthResult = try zoo.run(["score", "classification", "--embeddings", widths], withHome: false)
        #expect(widthResult.status == 65)
        #expect(widthResult.stderr.contains("3 wide"))
        let labels = try write("labels.safetensors", [("image", "F32", [2, 3], floats(6)), ("classes", "F32", [2, 3], floats(6)), ("labels", "I64", [2], longs([0, 5]))])
        let labelResult = try zoo.run(["score", "classification", "--embeddings", labels], withHome: false)
        #expect(labelResult.status == 65)
        #expect(labelResult.stderr.contains("label 5"))
        let missing = try write("missing.safetensors", [("image", "F32", [2, 3], floats(6)), ("text", "F32", [2, 3], floats(6))])
        let missingResult = try zoo.run(["score", "retrieval", "--embeddings", missing], withHome: false)
        #expect(missingResult.status == 65)
        #expect(missingResult.stderr.contains("text_image"))
        #expect(try zoo.run(["score", "retrieval", "--embeddings", "/nonexistent.safetensors"], withHome: false).status == 66)
    }

    @Test("zoo eval: zero-shot classification and retrieval of a trained pair, stored and shown by zoo results")
    func evalTrainedPair() throws {
        let miniLM = try #require(CLITextEncoderTests.miniLM, "all-MiniLM-L6-v2 is missing (make test fetches it)")
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let train = zoo.scratch.appendingPathComponent("train")
        let test = zoo.scratch.appendingPathComponent("test")
        try TrainingFixtures.subset(count: 256, into: train)
        try TrainingFixtures.subset(count: 200, split: "t10k", into: test)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--alias", "minilm", "--from", miniLM.path]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                  "--captions-from-labels", TrainingFixtures.captionTemplates]).status == 0)
        let templates = TrainingFixtures.repository.appendingPathComponent("data/fashion-mnist/templates.txt").path
        try #require(try zoo.run(["dataset", "add", "fm-test", "--path", test.path, "--format", "idx", "--task", "classification",
                                  "--classnames", TrainingFixtures.classNames, "--templates", templates]).status == 0)
        let trained = try zoo.run(["train", "dino+minilm", "--data", "fm", "--epochs", "6", "--batch", "32", "--dim", "32", "--lr", "2e-3"])
        try #require(trained.status == 0, "\(trained.stderr)")

        let output = zoo.scratch.appendingPathComponent("result.json")
        let classification = try zoo.run(["eval", "dino+minilm", "fm-test", "--json", "--output", output.path])
        #expect(classification.status == 0, "\(classification.stderr)")
        let result = try #require(try classification.json() as? [String: Any])
        #expect(result["task"] as? String == "zeroshot_classification")
        #expect(result["dataset"] as? String == "fm-test")
        #expect(result["model"] as? String == "dino+all-MiniLM-L6-v2")
        #expect(result["pretrained"] as? String == "v1")
        // Numbers are read with JSONDecoder: JSONSerialization's parser on Linux can miss the
        // last digit of a 17-digit double, and the report's figures are compared exactly below.
        let metrics = try JSONDecoder().decode(Exact.Result.self, from: Data(classification.stdout.utf8)).metrics
        let acc1 = try #require(metrics["acc1"])
        // Ten classes: chance is 0.1; the trained pair must do better.
        #expect(acc1 > 0.2, "acc1 \(acc1)")
        #expect((metrics["acc5"] ?? 0) >= acc1)
        #expect(metrics["mean_per_class_recall"] != nil)
        let perClass = try #require(result["per_class_recall"] as? [String: Double])
        #expect(perClass.count == 10)
        #expect(abs(perClass.values.reduce(0, +) / 10 - metrics["mean_per_class_recall"]!) < 1e-9)
        #expect(try JSONDecoder().decode(Exact.Result.self, from: Data(contentsOf: output)).metrics == metrics)

        // The use-case the command calls, called directly: the same metrics, and the run stored too.
        let library = try ModelZoo(home: ZooHome(url: zoo.home))
        let outcome = try PairEvaluation.run(zoo: library, pair: try PairReference(parsing: "dino+minilm"), dataset: "fm-test")
        #expect(outcome.metrics == metrics)
        #expect(outcome.reference == "dino+all-MiniLM-L6-v2@v1" && outcome.items == 200 && outcome.task == .classification)
        #expect(outcome.perClassRecall.map(\.name) == (try String(contentsOfFile: TrainingFixtures.classNames, encoding: .utf8)).split(separator: "\n").map(String.init))
        #expect(try library.catalog.evaluations().count == 2)
        #expect(throws: ZooError.self) { try PairEvaluation.run(zoo: library, pair: try PairReference(parsing: "dino+minilm"), dataset: "fm", task: .classification) }

        // The loaded pair embeds texts exactly as the cached path does, and builds classifiers.
        var aligned = try AlignedPair.load(zoo: library, pair: try PairReference(parsing: "dino+minilm"))
        aligned.batchSize = 7
        let classNames = try String(contentsOfFile: TrainingFixtures.classNames, encoding: .utf8).split(separator: "\n").map(String.init)
        let promptTemplates = try String(contentsOfFile: templates, encoding: .utf8).split(separator: "\n").map(String.init)
        let prompts = classNames.flatMap { name in promptTemplates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let textEntry = try library.catalog.encoder(named: "minilm")
        let textCache = try #require(try EmbeddingCaches.open(EmbeddingCaches.textFolder(
            home: library.home, encoder: textEntry, tokens: aligned.projector.architecture.input == .tokens, dtype: .f32)))
        let cached = try CachedProjection.texts(prompts, cache: textCache, projector: aligned.projector)
        #expect(try aligned.embed(texts: prompts).values == cached.values)
        let classifier = try aligned.classifier(classNames: classNames, templates: promptTemplates)
        #expect(classifier.classes.values == cached.classEmbeddings(promptsPerClass: promptTemplates.count).values)
        let images = ["china.jpg", "coffee.webp"].map { ZooRunner.fixtures.appendingPathComponent("vision/images/\($0)") }
        let embedded = try aligned.embed(imagesAt: images)
        #expect(embedded.rows == 2 && embedded.width == aligned.width)
        let labels = classifier.labels(for: embedded, top: 3)
        #expect(labels.count == 2 && labels.allSatisfy { $0.count == 3 && $0[0].score >= $0[1].score && $0[1].score >= $0[2].score })
        #expect(throws: ZooError.self) { try aligned.classifier(classNames: []) }

        let retrieval = try zoo.run(["eval", "dino+minilm", "fm", "--task", "retrieval", "--json"])
        #expect(retrieval.status == 0, "\(retrieval.stderr)")
        let retrievalMetrics = try #require((try retrieval.json() as? [String: Any])?["metrics"] as? [String: Double])
        #expect(retrievalMetrics["image_retrieval_recall@1"] != nil)
        #expect((retrievalMetrics["text_retrieval_recall@10"] ?? 0) >= (retrievalMetrics["text_retrieval_recall@1"] ?? 1))

        // --verbose says which kernels and threads ran, what the caches held and how long each phase took.
        let verbose = try zoo.run(["eval", "dino+minilm", "fm-test", "--verbose"])
        #expect(verbose.status == 0, "\(verbose.stderr)")
        for needle in ["kernels ", " threads", "all 200 items cached (hits)", "texts cached (hits)", "phase score 200 images against 10 classes"] {
            #expect(verbose.stderr.contains(needle), "--verbose lacks '\(needle)': \(verbose.stderr)")
        }
        #expect(!(try zoo.run(["eval", "dino+minilm", "fm-test"])).stderr.contains("phase "))

        let results = try #require(try zoo.run(["results", "--json"]).json() as? [[String: Any]])
        #expect(results.count == 2)  // the latest run of each (pair, dataset)
        let csv = try zoo.run(["results", "--csv"])
        #expect(csv.stdout.hasPrefix("pair,fm,fm-test\n"))
        #expect(csv.stdout.contains("dino+all-MiniLM-L6-v2@v1,"))

        // The report shows every chart, with the catalog's numbers.
        let cka = ZooRunner.fixtures.appendingPathComponent("cka")
        try #require(try zoo.run(["cka", "--features", cka.appendingPathComponent("x.safetensors").path, cka.appendingPathComponent("y.safetensors").path]).status == 0)
        let reportFile = zoo.scratch.appendingPathComponent("report.html")
        let report = try zoo.run(["report", "--output", reportFile.path])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: reportFile, encoding: .utf8)
        for id in ["curves-loss", "curves-temperature", "curves-lr", "per-class-0", "confusion-0", "cka", "leaderboard"] {
            #expect(html.contains("id=\"\(id)\""), "missing \(id)")
        }
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("data-dataset=\"fm-test\" data-value=\"\(acc1)\""))
        let shown = try JSONDecoder().decode(
            Exact.Projector.self, from: Data(try zoo.run(["projector", "show", "dino+minilm@v1", "--json"]).stdout.utf8))
        #expect(!shown.history.isEmpty)
        for (index, epoch) in shown.history.enumerated() {
            #expect(html.contains("data-epoch=\"\(index + 1)\" data-value=\"\(epoch.loss)\""), "loss of epoch \(index + 1)")
        }

        // Bad input: unknown pair or dataset (66 with a suggestion); a task that does not fit (64).
        let unknown = try zoo.run(["eval", "dino+minilm", "fm-tset"])
        #expect(unknown.status == 66)
        #expect(unknown.stderr.contains("fm-test"))
        #expect(try zoo.run(["eval", "dino+minilm@v9", "fm-test"]).status == 66)
        #expect(try zoo.run(["eval", "dino+minilm", "fm-test", "--task", "retrieval"]).status == 64)
        #expect(try zoo.run(["eval", "dino+minilm", "fm", "--task", "classification"]).status == 64)
    }
}

/// The parts of `--json` outputs the eval test compares exactly, read with JSONDecoder.
private enum Exact {
    struct Result: Decodable { let metrics: [String: Double] }
    struct Projector: Decodable {
        struct Epoch: Decodable { let loss: Double }
        let history: [Epoch]
    }
}
