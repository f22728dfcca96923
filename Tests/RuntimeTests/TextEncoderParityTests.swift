import Foundation
import Plugins
import Runtime
import Testing

/// Where the test fixtures live, found from this file's path.
private let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The real all-MiniLM-L6-v2 folder: `$ZOO_MINILM`, else `~/.cache/zoo/models/all-MiniLM-L6-v2`;
/// nil when it has no model.safetensors.
private let miniLMFolder: URL? = {
    let folder: URL
    if let path = ProcessInfo.processInfo.environment["ZOO_MINILM"], !path.isEmpty {
        folder = URL(fileURLWithPath: path)
    } else {
        folder = FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/zoo/models/all-MiniLM-L6-v2")
    }
    let weights = folder.appendingPathComponent("model.safetensors").path
    return FileManager.default.fileExists(atPath: weights) ? folder : nil
}()

private let miniLMMissing =
    "all-MiniLM-L6-v2 not found: set ZOO_MINILM or run scripts/fetch_minilm.sh to fill ~/.cache/zoo/models/all-MiniLM-L6-v2"

/// The real all-mpnet-base-v2 folder: `$ZOO_MPNET`, else `~/.cache/zoo/models/all-mpnet-base-v2`
/// (scripts/fetch_mpnet.sh); nil when it has no model.safetensors.
private let mpnetFolder: URL? = {
    let folder: URL
    if let path = ProcessInfo.processInfo.environment["ZOO_MPNET"], !path.isEmpty {
        folder = URL(fileURLWithPath: path)
    } else {
        folder = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/zoo/models/all-mpnet-base-v2")
    }
    return FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) ? folder : nil
}()

/// The shape of `ids.json` that the tests read.
private struct ReferenceIDs: Decodable {
    struct Sentence: Decodable {
        let inputIDs: [Int32]
        enum CodingKeys: String, CodingKey { case inputIDs = "input_ids" }
    }
    let sentences: [Sentence]
}

/// One model's reference ids and Python outputs.
private struct Reference {
    let ids: [[Int32]]
    /// `[N, Lmax, D]` for the first N sentences.
    let tokenStates: [Float]
    let tokenShape: [Int]
    /// `[N, Lmax]`.
    let mask: [UInt8]
    /// `[all sentences, D]`.
    let embeddings: [Float]

    init(model: String) throws {
        let folder = fixtures.appendingPathComponent("reference").appendingPathComponent(model)
        let data = try Data(contentsOf: folder.appendingPathComponent("ids.json"))
        ids = try JSONDecoder().decode(ReferenceIDs.self, from: data).sentences.map(\.inputIDs)
        let outputs = try SafeTensorsFile(url: folder.appendingPathComponent("outputs.safetensors"))
        tokenShape = try outputs.info("token_states").shape
        tokenStates = try outputs.floats("token_states")
        mask = try outputs.bytes("mask")
        embeddings = try outputs.floats("embeddings")
    }
}

/// How far the native outputs are from the reference.
private struct Parity: CustomStringConvertible {
    var maxAbsDifference: Float = 0
    var minCosine: Float = 1
    var description: String { "max |Δ| token states \(maxAbsDifference), min cosine \(minCosine)" }
}

private func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    var dot: Double = 0
    var normA: Double = 0
    var normB: Double = 0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        normA += Double(x) * Double(x)
        normB += Double(y) * Double(y)
    }
    return Float(dot / (normA.squareRoot() * normB.squareRoot()))
}

/// Encodes every reference sentence in one packed batch and measures the distance to Python.
private func measure(_ model: SentenceEncoderModel, against reference: Reference) throws -> Parity {
    let encoding = try model.encode(ids: reference.ids)
    let width = model.width
    var parity = Parity()
    let (rows, longest) = (reference.tokenShape[0], reference.tokenShape[1])
    let ourLongest = encoding.lengths.max() ?? 0
    for item in 0..<rows {
        let real = (0..<longest).filter { reference.mask[item * longest + $0] != 0 }.count
        #expect(real == encoding.lengths[item], "sentence \(item): reference mask has \(real) tokens")
        for position in 0..<real {
            for column in 0..<width {
                let ours = encoding.tokens[item, position, column]
                let theirs = reference.tokenStates[(item * longest + position) * width + column]
                parity.maxAbsDifference = max(parity.maxAbsDifference, abs(ours - theirs))
            }
        }
        for position in real..<ourLongest {
            #expect(encoding.mask[item * ourLongest + position] == 0)
        }
    }
    let pooled = encoding.pooled.scalars
    #expect(encoding.pooled.shape == [reference.ids.count, width])
    for item in reference.ids.indices {
        let span = item * width..<(item + 1) * width
        parity.minCosine = min(parity.minCosine, cosine(pooled[span], reference.embeddings[span]))
    }
    return parity
}

/// A copy of the tiny-bert folder in a temporary directory, with its weights replaced by
/// `edit` applied to the original tensors (name → (shape, values)).
private func tinyBertCopy(
    editing edit: (inout [String: (shape: [Int], values: [Float])]) -> Void
) throws -> URL {
    let source = fixtures.appendingPathComponent("models/tiny-bert")
    let folder = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("zoo-tiny-bert-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: source, to: folder)
    let original = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
    var tensors: [String: (shape: [Int], values: [Float])] = [:]
    for info in original.tensors {
        tensors[info.name] = (info.shape, try original.floats(info.name))
    }
    edit(&tensors)
    var writer = SafeTensorsWriter()
    for (name, tensor) in tensors {
        try writer.add(name, floats: tensor.values, shape: tensor.shape)
    }
    let target = folder.appendingPathComponent("model.safetensors")
    try FileManager.default.removeItem(at: target)
    try writer.write(to: target)
    return folder
}

@Suite("Native text encoders match Python transformers")
struct TextEncoderParityTests {
    @Test("tiny-bert: token states and normalised mean-pooled embeddings")
    func tinyBert() throws {
        let model = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-bert"))
        #expect(model.pooling == .mean && model.normalizes)
        let parity = try measure(model, against: try Reference(model: "tiny-bert"))
        print("parity tiny-bert: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("tiny-roberta: padding-offset positions, tanh GELU, CLS pooling, no normalisation")
    func tinyRoberta() throws {
        let model = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-roberta"))
        #expect(model.pooling == .cls && !model.normalizes)
        #expect(model.transformer.positions == .afterPadding)
        let parity = try measure(model, against: try Reference(model: "tiny-roberta"))
        print("parity tiny-roberta: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("all-MiniLM-L6-v2: the real checkpoint", .enabled(if: miniLMFolder != nil, Comment(rawValue: miniLMMissing)))
    func miniLM() throws {
        let model = try SentenceEncoderModel(folder: try #require(miniLMFolder))
        #expect(model.width == 384 && model.pooling == .mean && model.normalizes)
        let parity = try measure(model, against: try Reference(model: "all-MiniLM-L6-v2"))
        print("parity all-MiniLM-L6-v2: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("tiny-mpnet: relative position buckets on the scores (short and long sequences), no token types, mean pooling")
    func tinyMPNet() throws {
        let model = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-mpnet"))
        #expect(model.pooling == .mean && model.normalizes)
        #expect(model.transformer.positions == .afterPadding)
        let reference = try Reference(model: "tiny-mpnet")
        // Sequences past 64 tokens take the packed-GEMM attention kernel, shorter ones the direct one.
        #expect(reference.ids.contains { $0.count > 64 } && reference.ids.contains { $0.count <= 64 })
        let parity = try measure(model, against: reference)
        print("parity tiny-mpnet: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("tiny-xlmr: XLM-RoBERTa (RoBERTa's layers, model_type xlm-roberta) with a SentencePiece Unigram tokenizer")
    func tinyXLMR() throws {
        let folder = fixtures.appendingPathComponent("models/tiny-xlmr")
        let model = try SentenceEncoderModel(folder: folder)
        #expect(model.transformer.config.modelType == "xlm-roberta" && model.pooling == .mean && model.normalizes)
        let reference = try Reference(model: "tiny-xlmr")
        let parity = try measure(model, against: reference)
        print("parity tiny-xlmr: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("tiny-multilingual-bert: BERT layers with XLM-R's Unigram tokenizer (multilingual MiniLM's layout)")
    func tinyMultilingualBert() throws {
        let folder = fixtures.appendingPathComponent("models/tiny-multilingual-bert")
        let model = try SentenceEncoderModel(folder: folder)
        #expect(model.transformer.positions == .fromZero && model.pooling == .mean)
        let tokenizer = try TokenizerLoader.load(folder: folder)
        let reference = try Reference(model: "tiny-multilingual-bert")
        let sentences = try String(contentsOf: fixtures.appendingPathComponent("sentences.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        // Plain sentences (no escapes) tokenized by zoo give the reference ids.
        for (index, line) in sentences.enumerated() where index < reference.ids.count && !line.contains("\\") && !line.isEmpty {
            #expect(tokenizer.encode(String(line)) == reference.ids[index], "sentence \(index)")
        }
        let parity = try measure(model, against: reference)
        print("parity tiny-multilingual-bert: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("all-mpnet-base-v2: the real checkpoint", .enabled(if: mpnetFolder != nil, "all-mpnet-base-v2 not found: set ZOO_MPNET or run scripts/fetch_mpnet.sh"))
    func mpnet() throws {
        let model = try SentenceEncoderModel(folder: try #require(mpnetFolder))
        #expect(model.width == 768 && model.pooling == .mean && model.normalizes)
        let parity = try measure(model, against: try Reference(model: "all-mpnet-base-v2"))
        print("parity all-mpnet-base-v2: \(parity)")
        #expect(parity.maxAbsDifference <= 1e-4)
        #expect(parity.minCosine >= 0.99999)
    }

    @Test("MPNet's relative position buckets: transformers' rule, both directions, the far bucket")
    func relativeBuckets() {
        let bias = RelativePositionBias(table: [Float](repeating: 0, count: 32 * 2), buckets: 32, heads: 2)
        // key − query; keys after the query take buckets 16…31 (values from torch, transformers' function).
        let expected: [Int: Int] = [0: 0, -1: 1, -7: 7, -8: 8, -12: 9, -16: 10, -32: 12, -64: 14, -127: 15, -500: 15,
                                    1: 17, 7: 23, 8: 24, 16: 26, 128: 31, 1000: 31]
        for (relative, bucket) in expected { #expect(bias.bucket(relative) == bucket, "r = \(relative)") }
    }

    @Test("packing does not leak between sequences: one at a time equals all at once")
    func packingIsolation() throws {
        let model = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-roberta"))
        let ids = Array(try Reference(model: "tiny-roberta").ids.prefix(6))
        let together = try model.encode(ids: ids)
        for (item, sequence) in ids.enumerated() {
            let alone = try model.encode(ids: [sequence])
            for position in 0..<sequence.count {
                for column in 0..<model.width {
                    #expect(abs(alone.tokens[0, position, column] - together.tokens[item, position, column]) < 1e-5)
                }
            }
        }
    }

    @Test("an empty batch gives empty outputs")
    func emptyBatch() throws {
        let model = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-bert"))
        let encoding = try model.encode(ids: [])
        #expect(encoding.tokens.shape == [0, 0, 32] && encoding.pooled.shape == [0, 32] && encoding.mask.isEmpty)
    }
}

@Suite("Text encoder loading errors")
struct TextEncoderLoadingTests {
    @Test("a missing weight is named")
    func missingWeight() throws {
        let folder = try tinyBertCopy { $0["encoder.layer.1.output.dense.bias"] = nil }
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: ModelLoadError.self) { try SentenceEncoderModel(folder: folder) }
        guard case .missingTensor(let name, _)? = error else {
            Issue.record("expected missingTensor, got \(String(describing: error))")
            return
        }
        #expect(name == "encoder.layer.1.output.dense.bias")
        #expect(error?.description.contains("encoder.layer.1.output.dense.bias") == true)
    }

    @Test("a weight whose shape disagrees with config.json is named with both shapes")
    func wrongShape() throws {
        let name = "encoder.layer.0.intermediate.dense.weight"
        let folder = try tinyBertCopy { tensors in
            tensors[name] = ([36, 32], Array(tensors[name]!.values.prefix(36 * 32)))
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: ModelLoadError.self) { try SentenceEncoderModel(folder: folder) }
        #expect(error == .shapeMismatch(
            tensor: name, expected: [37, 32], found: [36, 32],
            file: folder.appendingPathComponent("model.safetensors").path))
        #expect(error?.description.contains("[37, 32]") == true)
    }

    @Test("names with the bert. prefix load and give the same outputs")
    func prefixedNames() throws {
        let folder = try tinyBertCopy { tensors in
            tensors = Dictionary(uniqueKeysWithValues: tensors.map { ("bert." + $0.key, $0.value) })
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let ids = Array(try Reference(model: "tiny-bert").ids.prefix(4))
        let plain = try SentenceEncoderModel(folder: fixtures.appendingPathComponent("models/tiny-bert"))
        let prefixed = try SentenceEncoderModel(folder: folder)
        #expect(try prefixed.encode(ids: ids).pooled == plain.encode(ids: ids).pooled)
    }

    @Test("an unsupported activation, bad ids and over-long sequences are typed errors")
    func badInputs() throws {
        let folder = try tinyBertCopy { _ in }
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try SentenceEncoderModel(folder: folder)
        #expect(throws: TextEncoderError.tokenOutOfRange(index: 1, position: 1, id: 1000, vocabularySize: 1000)) {
            try model.encode(ids: [[2, 3], [2, 1000, 3]])
        }
        #expect(throws: TextEncoderError.emptySequence(index: 0)) { try model.encode(ids: [[]]) }
        #expect(throws: TextEncoderError.sequenceTooLong(index: 0, length: 513, maximum: 512)) {
            try model.encode(ids: [[Int32](repeating: 5, count: 513)])
        }
        let configURL = folder.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["hidden_act"] = "relu"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        #expect(throws: ModelLoadError.unsupportedActivation(file: configURL.path, activation: "relu")) {
            try SentenceEncoderModel(folder: folder)
        }
    }
}

@Suite("Half-precision weights")
struct HalfPrecisionWeightTests {
    @Test("F16 and BF16 copies of tiny-bert load as Float32 and stay close", arguments: ["f16", "bf16"])
    func halfPrecision(kind: String) throws {
        let weights = fixtures.appendingPathComponent("safetensors/tiny-bert-\(kind).safetensors")
        try #require(FileManager.default.fileExists(atPath: weights.path), "missing \(weights.path)")
        let source = fixtures.appendingPathComponent("models/tiny-bert")
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("zoo-tiny-bert-\(kind)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("model.safetensors")
        try FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: weights, to: target)

        let ids = try Reference(model: "tiny-bert").ids
        let full = try SentenceEncoderModel(folder: source).encode(ids: ids)
        let half = try SentenceEncoderModel(folder: folder).encode(ids: ids)
        let worst = zip(full.tokens.scalars, half.tokens.scalars).map { abs($0 - $1) }.max() ?? 0
        let width = full.pooled.shape[1]
        let (fullPooled, halfPooled) = (full.pooled.scalars, half.pooled.scalars)
        let least = ids.indices.map { (item: Int) -> Float in
            let span = item * width..<(item + 1) * width
            return cosine(fullPooled[span], halfPooled[span])
        }.min() ?? 1
        print("tiny-bert \(kind): max |Δ| token states \(worst), min cosine \(least)")
        #expect(worst < (kind == "f16" ? 0.02 : 0.1))
        #expect(least > (kind == "f16" ? 0.9999 : 0.999))
    }
}

@Suite("Text encoder speed (ZOO_BENCH=1)")
struct TextEncoderBenchmark {
    @Test(
        "all-MiniLM-L6-v2 sentences per second at batch 64",
        .enabled(if: ProcessInfo.processInfo.environment["ZOO_BENCH"] == "1", "set ZOO_BENCH=1 to run"),
        .enabled(if: miniLMFolder != nil, Comment(rawValue: miniLMMissing)))
    func miniLMThroughput() throws {
        let model = try SentenceEncoderModel(folder: try #require(miniLMFolder))
        let sentences = try Reference(model: "all-MiniLM-L6-v2").ids
        let batch = (0..<64).map { sentences[$0 % sentences.count] }
        _ = try model.encode(ids: batch)
        let rounds = 10
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<rounds { _ = try model.encode(ids: batch) }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let tokens = batch.map(\.count).reduce(0, +)
        print(String(
            format: "bench all-MiniLM-L6-v2: batch 64 (%d tokens), %d threads: %.1f sentences/s (%.1f ms/batch)",
            tokens, ComputeThreads.count, Double(rounds * 64) / seconds, seconds / Double(rounds) * 1000))
    }
}
