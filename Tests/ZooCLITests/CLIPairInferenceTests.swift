import Foundation
import Registry
import Runtime
import Testing
import ZooKit

/// `zoo encode PAIR`, `zoo classify`, `zoo index` and `zoo search` through the real binary, on
/// a pair trained here and Fashion-MNIST test images written out as PNG files.
@Suite("zoo encode PAIR, classify, index and search", .serialized)
struct CLIPairInferenceTests {
    /// Writes items `first..<first+count` of the Fashion-MNIST test split as PNG files.
    static func exportPNGs(count: Int, into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", TrainingFixtures.repository.appendingPathComponent("scripts/export_pngs.py").path, "--idx", TrainingFixtures.fashionMNIST,
            "--split", "t10k", "--count", String(count), "--out", folder.path, "--classnames", TrainingFixtures.classNames,
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "scripts/export_pngs.py failed")
    }

    private static func floats(_ url: URL, _ name: String = "embeddings") throws -> (values: [Float], shape: [Int], metadata: [String: String]) {
        let file = try SafeTensorsFile(url: url)
        return (try file.floats(name), try file.info(name).shape, file.metadata)
    }

    @Test("joint-space embeddings equal the cached path bit for bit; classify, index, search, remove")
    func pairInference() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let train = zoo.scratch.appendingPathComponent("train")
        let test = zoo.scratch.appendingPathComponent("test")
        let pngs = zoo.scratch.appendingPathComponent("pngs")
        try TrainingFixtures.subset(count: 128, into: train)
        try TrainingFixtures.subset(count: 24, split: "t10k", into: test)
        try Self.exportPNGs(count: 24, into: pngs)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["encoder", "add", "tb", "--from", ZooRunner.fixtures.appendingPathComponent("models/tiny-bert").path]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                  "--captions-from-labels", TrainingFixtures.captionTemplates]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm-test", "--path", test.path, "--format", "idx", "--task", "classification",
                                  "--classnames", TrainingFixtures.classNames]).status == 0)
        let trained = try zoo.run(["train", "dino+tb", "--data", "fm", "--epochs", "2", "--batch", "32", "--dim", "16"])
        try #require(trained.status == 0, "\(trained.stderr)")

        // An index of the dataset, through the cache (F32, to compare exactly).
        let built = try zoo.run(["index", "build", "dino+tb", "fm-test", "--dtype", "f32", "--json"])
        try #require(built.status == 0, "\(built.stderr)")
        let library = try ModelZoo(home: ZooHome(url: zoo.home))
        let datasetIndex = try SearchIndexes.open(zoo: library, name: "fm-test")
        #expect(datasetIndex.ids.count == 24 && datasetIndex.summary.dtype == "f32" && datasetIndex.summary.width == 16)
        let cachedVectors = try Self.floats(library.store.folder(for: datasetIndex.summary.checkpointDigest).appendingPathComponent("vectors.safetensors"))

        // zoo encode PAIR on the same images as PNG files (a folder): the same bits.
        let encodedURL = zoo.scratch.appendingPathComponent("joint.safetensors")
        let encoded = try zoo.run(["encode", "dino+tb", "--images", pngs.path, "--batch", "5", "--output", encodedURL.path])
        try #require(encoded.status == 0, "\(encoded.stderr)")
        let joint = try Self.floats(encodedURL)
        #expect(joint.shape == [24, 16])
        #expect(joint.values == cachedVectors.values, "zoo encode PAIR differs from the cached path zoo eval scores")
        #expect(joint.metadata["pair"] == "dino+tb@v1")
        // A glob gives the same files in the same order.
        let globbed = try zoo.run(["encode", "dino+tb", "--images", pngs.path + "/0000*.png"])
        #expect(globbed.status == 0 && globbed.stdout.split(separator: "\n").count == 10, "\(globbed.stderr)")
        #expect(try zoo.run(["encode", "dino+tb", "--images", pngs.path + "/nothing*.png"]).status == 66)

        // Texts: JSON lines in a .jsonl file, unit length, the library's numbers.
        let lines = zoo.scratch.appendingPathComponent("texts.jsonl")
        let textRun = try zoo.run(["encode", "dino+tb", "--text", "a photo of a bag", "--text", "a photo of a sneaker", "--output", lines.path])
        try #require(textRun.status == 0, "\(textRun.stderr)")
        struct Line: Decodable { var id: String; var embedding: [Float] }
        let decoded = try String(contentsOf: lines, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(decoded.map(\.id) == ["1", "2"])
        let pair = try AlignedPair.load(zoo: library, pair: try PairReference(parsing: "dino+tb"))
        #expect(decoded.flatMap(\.embedding) == (try pair.embed(texts: ["a photo of a bag", "a photo of a sneaker"])).values)
        #expect(try zoo.run(["encode", "dino+tb", "--input", lines.path]).status == 64)
        #expect(try zoo.run(["encode", "dino+tb", "--text", "x", "--tokens"]).status == 64)

        // classify: top 3 of 10 classes, probabilities from the learned logit scale.
        let classified = try zoo.run(["classify", "dino+tb", "--images", pngs.path, "--classnames", TrainingFixtures.classNames, "--top", "10", "--json"])
        try #require(classified.status == 0, "\(classified.stderr)")
        let outcome = try JSONDecoder().decode(ClassifyJSON.self, from: Data(classified.stdout.utf8))
        #expect(outcome.pair == "dino+tb@v1" && outcome.predictions.count == 24)
        for prediction in outcome.predictions {
            #expect(prediction.labels.count == 10)
            #expect(abs(prediction.labels.map(\.probability).reduce(0, +) - 1) < 1e-4)
            #expect(zip(prediction.labels, prediction.labels.dropFirst()).allSatisfy { $0.score >= $1.score && $0.probability >= $1.probability })
        }
        let table = try zoo.run(["classify", "dino+tb", "--images", pngs.appendingPathComponent("00000-ankle-boot.png").path, "--labels", "ankle boot, bag,shirt", "--top", "2"])
        #expect(table.status == 0 && table.stdout.contains("PROBABILITY") && table.stdout.split(separator: "\n").count == 3, "\(table.stderr)")
        #expect(try zoo.run(["classify", "dino+tb", "--images", pngs.path]).status == 64)
        #expect(try zoo.run(["classify", "dino+tb", "--images", pngs.path, "--labels", "cat,,dog"]).status == 64)
        let unknownPair = try zoo.run(["classify", "dino+tbb", "--images", pngs.path, "--labels", "a,b"])
        #expect(unknownPair.status == 66 && unknownPair.stderr.contains("'tb'"), "\(unknownPair.stderr)")

        // An index of image files; an image finds itself first.
        let pngIndex = try zoo.run(["index", "build", "dino+tb", "--images", pngs.path, "--name", "pngs"])
        try #require(pngIndex.status == 0, "\(pngIndex.stderr)")
        let first = pngs.appendingPathComponent("00000-ankle-boot.png").path
        let found = try zoo.run(["search", "pngs", "--image", first, "--k", "3", "--json"])
        try #require(found.status == 0, "\(found.stderr)")
        let hits = try JSONDecoder().decode(SearchJSON.self, from: Data(found.stdout.utf8)).hits
        #expect(hits.count == 3 && hits[0].id == first && abs(hits[0].score - 1) < 2e-3)
        let byText = try zoo.run(["search", "fm-test", "--text", "a photo of a bag", "--k", "5", "--json"])
        try #require(byText.status == 0, "\(byText.stderr)")
        let textHits = try JSONDecoder().decode(SearchJSON.self, from: Data(byText.stdout.utf8)).hits
        #expect(textHits.map(\.rank) == [1, 2, 3, 4, 5] && zip(textHits, textHits.dropFirst()).allSatisfy { $0.score >= $1.score })
        let listed = try zoo.run(["index", "list", "--json"])
        let listedRows = try listed.json() as? [[String: Any]]
        #expect(listed.status == 0 && listedRows?.count == 2)

        // Errors: unknown index 66 with the nearest name; a clash 65; another checkpoint 65.
        let unknown = try zoo.run(["search", "png", "--text", "x"])
        #expect(unknown.status == 66 && unknown.stderr.contains("Did you mean 'pngs'"), "\(unknown.stderr)")
        #expect(try zoo.run(["index", "build", "dino+tb", "--images", pngs.path, "--name", "pngs"]).status == 65)
        #expect(try zoo.run(["search", "pngs"]).status == 64)
        let retrained = try zoo.run(["train", "dino+tb", "--data", "fm", "--epochs", "1", "--batch", "32", "--dim", "16"])
        try #require(retrained.status == 0, "\(retrained.stderr)")
        let mismatch = try zoo.run(["search", "pngs", "--text", "a bag", "--pair", "dino+tb@v2"])
        #expect(mismatch.status == 65 && mismatch.stderr.contains("dino+tb@v1") && mismatch.stderr.contains("dino+tb@v2"), "\(mismatch.stderr)")
        #expect(try zoo.run(["search", "pngs", "--text", "a bag", "--pair", "dino+tb@v1"]).status == 0)

        // Removing an index, then the projector (its other index goes with it): nothing left over.
        #expect(try zoo.run(["index", "remove", "pngs"]).status == 0)
        #expect(try zoo.run(["projector", "remove", "dino+tb@v1"]).status == 0)
        #expect(try library.catalog.searchIndexes().isEmpty)
        let verify = try zoo.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    struct ClassifyJSON: Decodable {
        struct Prediction: Decodable {
            struct Label: Decodable { var name: String; var score: Float; var probability: Float }
            var image: String
            var labels: [Label]
        }
        var pair: String
        var predictions: [Prediction]
    }

    struct SearchJSON: Decodable {
        struct Hit: Decodable { var rank: Int; var id: String; var score: Float }
        var hits: [Hit]
    }
}
