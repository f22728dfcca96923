import Foundation
import Runtime
import Testing

/// The text encoders through the real binary: registration, `zoo tokenize` and `zoo encode`
/// against the Hugging Face references in Tests/Fixtures.
@Suite("zoo tokenize and encode")
struct CLITextEncoderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var miniLM: URL? {
        let path = ProcessInfo.processInfo.environment["ZOO_MINILM"]
            ?? (NSHomeDirectory() + "/.cache/zoo/models/all-MiniLM-L6-v2")
        return FileManager.default.fileExists(atPath: path + "/model.safetensors") ? URL(fileURLWithPath: path) : nil
    }

    struct Reference {
        var texts: [String]
        var ids: [[Int32]]
    }

    static func reference(_ model: String) throws -> Reference {
        let url = fixtures.appendingPathComponent("reference/\(model)/ids.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let sentences = try #require(object["sentences"] as? [[String: Any]])
        return Reference(texts: sentences.compactMap { $0["text"] as? String },
                         ids: sentences.map { ($0["input_ids"] as? [Int] ?? []).map(Int32.init) })
    }

    /// Writes the reference texts as JSON lines (texts hold newlines and control characters).
    static func jsonLines(_ texts: [String], to url: URL) throws {
        var lines = ""
        for (index, text) in texts.enumerated() {
            let data = try JSONSerialization.data(withJSONObject: ["id": index, "text": text])
            lines += String(decoding: data, as: UTF8.self) + "\n"
        }
        try Data(lines.utf8).write(to: url)
    }

    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func checkParity(model: String, folder: URL, sentences: Int? = nil) throws {
        let zoo = ZooRunner()
        let added = try zoo.run(["encoder", "add", model, "--from", folder.path, "--link"])
        #expect(added.status == 0, "\(added.stderr)")
        let reference = try Self.reference(model)
        let count = sentences ?? reference.texts.count
        let input = zoo.scratch.appendingPathComponent("texts.jsonl")
        try Self.jsonLines(Array(reference.texts.prefix(count)), to: input)

        let tokenized = try zoo.run(["tokenize", model, "--input", input.path])
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        let lines = tokenized.stdout.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Int])?.map(Int32.init) ?? []
        }
        #expect(lines == Array(reference.ids.prefix(count)))

        let output = zoo.scratch.appendingPathComponent("out.safetensors")
        let encoded = try zoo.run(["encode", model, "--input", input.path, "--tokens", "--batch", "16", "--output", output.path])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let mine = try SafeTensorsFile(url: output)
        let theirs = try SafeTensorsFile(url: Self.fixtures.appendingPathComponent("reference/\(model)/outputs.safetensors"))
        let width = try mine.info("embeddings").shape[1]
        let embeddings = try mine.floats("embeddings")
        let expected = try theirs.floats("embeddings")
        var worstCosine = 1.0
        for row in 0..<count {
            let range = row * width..<(row + 1) * width
            worstCosine = min(worstCosine, Self.cosine(embeddings[range], expected[range]))
        }
        #expect(worstCosine >= 0.99999, "\(model): worst cosine \(worstCosine)")

        // Token states on real positions, for the rows the reference stores.
        let tokens = try mine.floats("tokens")
        let mask = try mine.bytes("mask")
        let myLength = try mine.info("tokens").shape[1]
        let referenceShape = try theirs.info("token_states").shape
        let referenceTokens = try theirs.floats("token_states")
        var worstDiff: Float = 0
        for row in 0..<min(count, referenceShape[0]) {
            let length = reference.ids[row].count
            #expect(mask[row * myLength..<row * myLength + length].allSatisfy { $0 == 1 })
            for t in 0..<min(length, referenceShape[1]) {
                for d in 0..<width {
                    let a = tokens[(row * myLength + t) * width + d]
                    let b = referenceTokens[(row * referenceShape[1] + t) * width + d]
                    worstDiff = max(worstDiff, abs(a - b))
                }
            }
        }
        #expect(worstDiff <= 1e-4, "\(model): token states differ by \(worstDiff)")
    }

    @Test("tiny random BERT: ids identical, embeddings and token states match transformers")
    func tinyBert() throws {
        try checkParity(model: "tiny-bert", folder: Self.fixtures.appendingPathComponent("models/tiny-bert"))
    }

    @Test("tiny random RoBERTa: ids identical, embeddings and token states match transformers")
    func tinyRoberta() throws {
        try checkParity(model: "tiny-roberta", folder: Self.fixtures.appendingPathComponent("models/tiny-roberta"))
    }

    @Test("all-MiniLM-L6-v2: ids identical, embeddings and token states match sentence-transformers")
    func miniLM() throws {
        guard let folder = Self.miniLM else {
            print("skipping: all-MiniLM-L6-v2 not found; run scripts/fetch_minilm.sh or set ZOO_MINILM")
            return
        }
        try checkParity(model: "all-MiniLM-L6-v2", folder: folder)
    }

    @Test("bad text input and unloadable folders give clear errors")
    func badInput() throws {
        let zoo = ZooRunner()
        let bert = Self.fixtures.appendingPathComponent("models/tiny-bert")
        #expect(try zoo.run(["encoder", "add", "tiny", "--from", bert.path, "--link"]).status == 0)

        let invalid = zoo.scratch.appendingPathComponent("bad.txt")
        try Data([0x61, 0x0A, 0x62, 0xFF, 0xFE, 0x0A]).write(to: invalid)
        let badUTF8 = try zoo.run(["encode", "tiny", "--input", invalid.path])
        #expect(badUTF8.status == 65)
        #expect(badUTF8.stderr.contains("line 2"))

        #expect(try zoo.run(["encode", "tiny", "--input", zoo.scratch.appendingPathComponent("absent.txt").path]).status == 66)
        #expect(try zoo.run(["encode", "tiny"]).status == 64)

        let empty = try zoo.run(["tokenize", "tiny", "--text", ""])
        #expect(empty.stdout == "[2,3]\n")
        let long = try zoo.run(["tokenize", "tiny", "--text", String(repeating: "horse ", count: 400)])
        #expect((try JSONSerialization.jsonObject(with: Data(long.stdout.utf8)) as? [Int])?.count == 128)

        // A folder whose weights lack a tensor is refused at registration, naming it.
        let broken = zoo.scratch.appendingPathComponent("broken")
        try FileManager.default.copyItem(at: bert, to: broken)
        let weights = try SafeTensorsFile(url: broken.appendingPathComponent("model.safetensors"))
        var writer = SafeTensorsWriter()
        let dropped = try #require(weights.names.first { $0.contains("encoder.layer.1.output.dense.weight") })
        for name in weights.names where name != dropped {
            let info = try weights.info(name)
            try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: try weights.withRawBytes(name) { Array($0) })
        }
        try writer.write(to: broken.appendingPathComponent("model.safetensors"))
        let refused = try zoo.run(["encoder", "add", "broken", "--from", broken.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("encoder.layer.1.output.dense.weight"), "\(refused.stderr)")
        let list = try #require(try zoo.run(["encoder", "list", "--json"]).json() as? [[String: Any]])
        #expect(list.count == 1)
    }
}
