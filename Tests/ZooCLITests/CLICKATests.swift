import Foundation
import Runtime
import Testing

/// `zoo cka` through the real binary.
@Suite("zoo cka", .serialized)
struct CLICKATests {
    static let fixtures = ZooRunner.fixtures.appendingPathComponent("cka")

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b))
    }

    /// Writes a file with a `features` tensor `[rows, width]`.
    static func write(_ values: [Float], rows: Int, width: Int, to url: URL) throws {
        var writer = SafeTensorsWriter()
        try writer.add("features", floats: values, shape: [rows, width])
        try writer.write(to: url)
    }

    @Test("zoo cka --features matches the numpy reference, stores both paths, and zoo cka --list shows them")
    func featuresMatchReference() throws {
        let zoo = ZooRunner()
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json"))) as? [String: Any])
        let x = Self.fixtures.appendingPathComponent("x.safetensors").path
        let y = Self.fixtures.appendingPathComponent("y.safetensors").path

        let linear = try zoo.run(["cka", "--features", x, y, "--json"])
        #expect(linear.status == 0, "\(linear.stderr)")
        let linearJSON = try #require(try linear.json() as? [String: Any])
        #expect(linearJSON["kernel"] as? String == "linear")
        #expect(linearJSON["samples"] as? Int == 96)
        let linearPairs = try #require(linearJSON["pairs"] as? [[String: Any]])
        #expect(linearPairs.count == 1)
        #expect(linearPairs.first?["vision"] as? String == x)
        #expect(linearPairs.first?["text"] as? String == y)
        #expect(linearPairs.first?["bandwidth_vision"] is NSNull)
        #expect(linearPairs.first?["bandwidth_text"] is NSNull)
        let wantLinear = (expected["linear"] as? [String: Double])?["cka"]
        #expect(Self.close(linearPairs.first?["cka"] as? Double, wantLinear), "\(linearPairs)")

        let rbf = try zoo.run(["cka", "--features", x, y, "--kernel", "rbf", "--json"])
        #expect(rbf.status == 0, "\(rbf.stderr)")
        let rbfPair = try #require(((try rbf.json() as? [String: Any])?["pairs"] as? [[String: Any]])?.first)
        let wantRBF = try #require(expected["rbf"] as? [String: Double])
        #expect(Self.close(rbfPair["cka"] as? Double, wantRBF["cka"]))
        #expect(Self.close(rbfPair["bandwidth_vision"] as? Double, wantRBF["bandwidth_x"]))
        #expect(Self.close(rbfPair["bandwidth_text"] as? Double, wantRBF["bandwidth_y"]))

        let table = try zoo.run(["cka", "--features", x, y, "--kernel", "rbf", "--samples", "50"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("rbf kernel, 50 samples"))
        #expect(table.stdout.contains("BANDWIDTH_VISION"))

        let runs = try #require(try zoo.run(["cka", "--list", "--json"]).json() as? [[String: Any]])
        #expect(runs.count == 3)
        #expect(runs.map { $0["kernel"] as? String } == ["linear", "rbf", "rbf"])
        #expect(runs.allSatisfy { $0["vision"] as? String == x && $0["text"] as? String == y && $0["dataset"] is NSNull })
        #expect(runs.map { $0["samples"] as? Int } == [96, 96, 50])
        #expect(Self.close(runs[0]["cka"] as? Double, wantLinear))
    }

    @Test("zoo cka: missing file (66), NaN naming file and row, mismatched counts, one sample (65), bad forms (64)")
    func featureErrors() throws {
        let zoo = ZooRunner()
        let x = Self.fixtures.appendingPathComponent("x.safetensors").path
        let y = Self.fixtures.appendingPathComponent("y.safetensors").path
        #expect(try zoo.run(["cka", "--features", x, "/nonexistent.safetensors"]).status == 66)

        var values = (0..<96 * 3).map { Float($0 % 17) }
        values[40 * 3 + 1] = .nan
        let nan = zoo.scratch.appendingPathComponent("nan.safetensors")
        try Self.write(values, rows: 96, width: 3, to: nan)
        let nanResult = try zoo.run(["cka", "--features", x, nan.path])
        #expect(nanResult.status == 65)
        #expect(nanResult.stderr.contains(nan.path) && nanResult.stderr.contains("row 40"), "\(nanResult.stderr)")

        let short = zoo.scratch.appendingPathComponent("short.safetensors")
        try Self.write((0..<90 * 2).map { Float($0 % 13) }, rows: 90, width: 2, to: short)
        let mismatch = try zoo.run(["cka", "--features", x, short.path])
        #expect(mismatch.status == 65)
        #expect(mismatch.stderr.contains("90"), "\(mismatch.stderr)")
        #expect(try zoo.run(["cka", "--features", x, y, "--samples", "1"]).status == 65)

        let flat = zoo.scratch.appendingPathComponent("flat.safetensors")
        var writer = SafeTensorsWriter()
        try writer.add("features", floats: [1, 2, 3])
        try writer.write(to: flat)
        #expect(try zoo.run(["cka", "--features", x, flat.path]).status == 65)

        #expect(try zoo.run(["cka", "--features", x]).status == 64)
        #expect(try zoo.run(["cka", "--features", x, y, "--data", "fm"]).status == 64)
        #expect(try zoo.run(["cka", "--vision", "a"]).status == 64)
        #expect(try zoo.run(["cka", "--list", "--features", x, y]).status == 64)
        #expect(try zoo.run(["cka", "--features", x, y, "--kernel", "cosine"]).status == 64)
        // Nothing failed was stored.
        #expect((try zoo.run(["cka", "--list", "--json"]).json() as? [Any])?.count == 0)
    }

    @Test("zoo cka --data: dino × MiniLM on Fashion-MNIST pairs, ranked JSON, rows in the catalog")
    func encodersOverDataset() throws {
        let miniLM = try #require(CLITextEncoderTests.miniLM, "all-MiniLM-L6-v2 is missing (make test fetches it)")
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let train = zoo.scratch.appendingPathComponent("train")
        try TrainingFixtures.subset(count: 80, into: train)
        try #require(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        try #require(try zoo.run(["encoder", "add", "all-MiniLM-L6-v2", "--alias", "minilm", "--from", miniLM.path]).status == 0)
        try #require(try zoo.run(["dataset", "add", "fm", "--path", train.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
                                  "--captions-from-labels", TrainingFixtures.captionTemplates]).status == 0)

        let linear = try zoo.run(["cka", "--vision", "dino", "--text", "minilm", "--data", "fm", "--samples", "64", "--json"])
        #expect(linear.status == 0, "\(linear.stderr)")
        let json = try #require(try linear.json() as? [String: Any])
        #expect(json["kernel"] as? String == "linear")
        #expect(json["samples"] as? Int == 64)
        #expect(json["dataset"] as? String == "fm")
        let pairs = try #require(json["pairs"] as? [[String: Any]])
        #expect(pairs.count == 1)
        let pair = try #require(pairs.first)
        #expect(pair["vision"] as? String == "dino")
        #expect(pair["text"] as? String == "all-MiniLM-L6-v2")
        #expect(pair["bandwidth_vision"] is NSNull && pair["bandwidth_text"] is NSNull)
        let score = try #require(pair["cka"] as? Double)
        #expect(score > 0 && score <= 1 + 1e-9, "\(score)")

        // The same encoder twice, and the RBF kernel from the now-filled caches.
        let rbf = try zoo.run(["cka", "--vision", "dino,dino", "--text", "minilm,all-MiniLM-L6-v2", "--data", "fm", "--samples", "64", "--kernel", "rbf", "--json"])
        #expect(rbf.status == 0, "\(rbf.stderr)")
        let rbfPair = try #require(((try rbf.json() as? [String: Any])?["pairs"] as? [[String: Any]])?.first)
        #expect(((rbfPair["bandwidth_vision"] as? Double) ?? 0) > 0 && ((rbfPair["bandwidth_text"] as? Double) ?? 0) > 0)
        #expect(((rbfPair["cka"] as? Double) ?? 0) > 0)

        let table = try zoo.run(["cka", "--vision", "dino", "--text", "minilm", "--data", "fm", "--samples", "64"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("the first 64 items of 'fm'"))
        #expect(table.stdout.contains("1     dino"), "\(table.stdout)")

        // One row per measurement: the linear rerun replaced the first linear row (same score),
        // and the four identical RBF pairs of one call left one row.
        let runs = try #require(try zoo.run(["cka", "--list", "--json"]).json() as? [[String: Any]])
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0["vision"] as? String == "dino" && $0["text"] as? String == "all-MiniLM-L6-v2" && $0["dataset"] as? String == "fm" })
        #expect(runs.map { $0["kernel"] as? String } == ["rbf", "linear"])
        #expect(runs.last?["cka"] as? Double == score)
        #expect(try zoo.run(["cka", "--list"]).stdout.contains("dino"))

        // Bad input: modalities swapped (64), unknown encoder or dataset (66).
        #expect(try zoo.run(["cka", "--vision", "minilm", "--text", "minilm", "--data", "fm"]).status == 64)
        #expect(try zoo.run(["cka", "--vision", "dino", "--text", "dino", "--data", "fm"]).status == 64)
        #expect(try zoo.run(["cka", "--vision", "dino,", "--text", "minilm", "--data", "fm"]).status == 64)
        #expect(try zoo.run(["cka", "--vision", "dinov9", "--text", "minilm", "--data", "fm"]).status == 66)
        #expect(try zoo.run(["cka", "--vision", "dino", "--text", "minilm", "--data", "fashion"]).status == 66)
        #expect(try zoo.run(["cka", "--vision", "dino", "--text", "minilm", "--data", "fm", "--samples", "1"]).status == 65)
    }
}
