import Foundation
import Plugins
import Runtime
import Testing

/// `Tests/Fixtures/vision`, found from this file's path.
private let dinoFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/vision")

private let dinoModels = ["dinov2-tiny", "dinov2-swiglu", "dinov2-registers"]

func dinoFolder(_ model: String) -> URL {
    dinoFixtures.appendingPathComponent("models/\(model)")
}

/// The tensor `name` of `file` with its stored shape.
private func storedTensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor {
    Tensor(shape: try file.info(name).shape, scalars: try file.floats(name))
}

/// One of the README's two model inputs: `224` (china.jpg and coffee.webp from
/// preprocess.safetensors, stacked) or `nonsquare` (inputs.safetensors).
func dinoInput(_ name: String) throws -> Tensor {
    switch name {
    case "224":
        let file = try SafeTensorsFile(url: dinoFixtures.appendingPathComponent("reference/preprocess.safetensors"))
        let images = try ["china.jpg", "coffee.webp"].map { try storedTensor(file, $0) }
        for image in images { #expect(image.shape == [1, 3, 224, 224]) }
        return Tensor(shape: [2, 3, 224, 224], scalars: images.flatMap(\.scalars))
    default:
        let file = try SafeTensorsFile(url: dinoFixtures.appendingPathComponent("reference/inputs.safetensors"))
        return try storedTensor(file, "pixels_\(name)")
    }
}

private func dinoReference(_ model: String) throws -> SafeTensorsFile {
    try SafeTensorsFile(url: dinoFixtures.appendingPathComponent("reference/\(model).safetensors"))
}

/// max |a − b| / max |b|.
private func relativeDifference(_ ours: Tensor, _ theirs: Tensor) -> Float {
    var difference: Float = 0
    var scale: Float = 0
    for (a, b) in zip(ours.scalars, theirs.scalars) {
        difference = max(difference, abs(a - b))
        scale = max(scale, abs(b))
    }
    return difference / max(scale, .leastNormalMagnitude)
}

/// The smallest cosine similarity between matching rows of two `[rows, width]` tensors.
private func minimumCosine(_ ours: Tensor, _ theirs: Tensor) -> Double {
    let width = theirs.shape.last ?? 1
    let (a, b) = (ours.scalars, theirs.scalars)
    var smallest: Double = 1
    for row in 0..<(b.count / width) {
        var dot: Double = 0, normA: Double = 0, normB: Double = 0
        for column in row * width..<(row + 1) * width {
            dot += Double(a[column]) * Double(b[column])
            normA += Double(a[column]) * Double(a[column])
            normB += Double(b[column]) * Double(b[column])
        }
        smallest = min(smallest, dot / (normA.squareRoot() * normB.squareRoot()))
    }
    return smallest
}

/// A copy of a fixture model folder in a temporary directory whose weights are the original
/// tensors after `edit` (name → (shape, values)).
private func editedCopy(
    of model: String, _ edit: (inout [String: (shape: [Int], values: [Float])]) -> Void
) throws -> URL {
    let source = dinoFolder(model)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-dinov2-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: source, to: folder)
    let original = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
    var tensors: [String: (shape: [Int], values: [Float])] = [:]
    for info in original.tensors {
        tensors[info.name] = (info.shape, try original.floats(info.name))
    }
    edit(&tensors)
    var writer = SafeTensorsWriter(metadata: ["format": "pt"])
    for (name, tensor) in tensors {
        try writer.add(name, floats: tensor.values, shape: tensor.shape)
    }
    try writer.write(to: folder.appendingPathComponent("model.safetensors"))
    return folder
}

/// Tokens within 1e-4 of the reference relative to its largest value, pooled outputs at cosine
/// ≥ 0.99999, shapes equal.
private func expectParity(_ encoding: VisionEncoding, tokens: Tensor, pooled: Tensor, label: String) {
    #expect(encoding.tokens.shape == tokens.shape)
    #expect(encoding.pooled.shape == pooled.shape)
    guard encoding.tokens.shape == tokens.shape, encoding.pooled.shape == pooled.shape else { return }
    let tokenDifference = relativeDifference(encoding.tokens, tokens)
    let cosine = minimumCosine(encoding.pooled, pooled)
    print("\(label): tokens max|Δ|/max|ref| \(tokenDifference), pooled min cosine \(cosine)")
    #expect(tokenDifference <= 1e-4, "\(label)")
    #expect(cosine >= 0.99999, "\(label)")
}

@Suite("DINOv2 matches transformers")
struct Dinov2ParityTests {
    @Test(
        "tokens and pooled output match Dinov2Model / Dinov2WithRegistersModel",
        arguments: dinoModels, ["224", "nonsquare"])
    func parity(model: String, input: String) throws {
        let encoder = try Dinov2Model(folder: dinoFolder(model))
        let reference = try dinoReference(model)
        let pixels = try dinoInput(input)
        let encoding = try encoder.encode(pixels: pixels)
        expectParity(
            encoding, tokens: try storedTensor(reference, "tokens_\(input)"),
            pooled: try storedTensor(reference, "pooled_\(input)"), label: "dinov2 parity \(model) \(input)")
        #expect(encoding.pooled == encoding.tokens.clsPooled())
    }

    @Test("the committed fashion-vit (the demo's encoder) matches transformers on Fashion-MNIST test images")
    func committedFashionViT() throws {
        let folder = dinoFixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/fashion-vit")
        let encoder = try Dinov2Model(folder: folder)
        let reference = try dinoReference("fashion-vit")
        let encoding = try encoder.encode(pixels: try storedTensor(reference, "pixels"))
        #expect(encoding.tokens.shape == [8, 50, 128])
        expectParity(
            encoding, tokens: try storedTensor(reference, "tokens"), pooled: try storedTensor(reference, "pooled"),
            label: "fashion-vit parity")
    }

    @Test("position embeddings are interpolated as transformers 5.24 does", arguments: dinoModels)
    func positionEmbeddings(model: String) throws {
        let encoder = try Dinov2Model(folder: dinoFolder(model))
        let reference = try dinoReference(model)
        for (name, grid) in [("224", (16, 16)), ("nonsquare", (12, 18))] {
            let expected = try storedTensor(reference, "pos_embed_\(name)")
            let ours = encoder.positionEmbeddings(gridHeight: grid.0, gridWidth: grid.1)
            #expect(ours.shape == expected.shape)
            guard ours.shape == expected.shape else { continue }
            let difference = zip(ours.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            print("dinov2 position embeddings \(model) \(name): max|Δ| \(difference)")
            #expect(difference <= 1e-5, "\(model) \(name)")
        }
        // The stored square grid is used as is.
        let side = encoder.config.positionGridSide
        let stored = try Dinov2Model(folder: dinoFolder(model)).positionEmbeddings(gridHeight: side, gridWidth: side)
        let weights = try SafeTensorsFile(url: dinoFolder(model).appendingPathComponent("model.safetensors"))
        #expect(stored == (try storedTensor(weights, "embeddings.position_embeddings")))
    }

    @Test("plain and antialiased bicubic resizing keep a same-size grid and differ otherwise")
    func bicubicModes() {
        let grid = Tensor(shape: [5, 5, 2], scalars: (0..<50).map { Float(($0 * 37) % 11) - 5 })
        for antialias in [false, true] {
            #expect(grid.bicubicResized(height: 5, width: 5, antialias: antialias) == grid)
        }
        let plain = grid.bicubicResized(height: 3, width: 7, antialias: false)
        let smooth = grid.bicubicResized(height: 3, width: 7, antialias: true)
        #expect(plain.shape == [3, 7, 2] && smooth.shape == [3, 7, 2])
        #expect(zip(plain.scalars, smooth.scalars).map { abs($0 - $1) }.max()! > 1e-2)
        // Antialiased weights always sum to 1: a constant grid stays constant.
        let constant = Tensor(shape: [4, 6, 3], repeating: 2.5)
        for value in constant.bicubicResized(height: 9, width: 2, antialias: true).scalars {
            #expect(abs(value - 2.5) < 1e-6)
        }
    }

    @Test("LongSequenceAttention matches scaled dot-product attention")
    func longSequenceAttention() {
        let (sequences, length, heads, headWidth) = (3, 70, 2, 16)
        let width = heads * headWidth
        var generator = BenchRandom(seed: 11)
        // Q, K, V side by side in one buffer, as a fused QKV projection writes them; large
        // logits check that the row maximum is subtracted.
        let qkv = (0..<sequences * length * 3 * width).map { _ in 3 * generator.normal() }
        var output = [Float](repeating: .nan, count: sequences * length * width)
        qkv.withUnsafeBufferPointer { qkv in
            output.withUnsafeMutableBufferPointer { output in
                let base = qkv.baseAddress!
                LongSequenceAttention(heads: heads, headWidth: headWidth)(
                    query: base, key: base + width, value: base + 2 * width, stride: 3 * width,
                    sequences: sequences, length: length, output: output.baseAddress!)
            }
        }
        func part(_ index: Int) -> Tensor {
            var rows: [Float] = []
            for row in 0..<sequences * length {
                let start = (row * 3 + index) * width
                rows += qkv[start..<start + width]
            }
            return Tensor(shape: [sequences, length, width], scalars: rows)
        }
        let expected = Tensor.scaledDotProductAttention(query: part(0), key: part(1), value: part(2), heads: heads)
        let ours = Tensor(shape: [sequences, length, width], scalars: output)
        // The queries are rounded once more than the reference's, after scaling by scale · log₂e.
        #expect(relativeDifference(ours, expected) <= 3e-6)
    }

    @Test("each image of a batch encodes as it would alone, split across threads or not")
    func batchIndependence() throws {
        let encoder = try Dinov2Model(folder: dinoFolder("dinov2-registers"))
        let pixels = try dinoInput("224")
        let batch = try encoder.encode(pixels: pixels)
        let size = 3 * 224 * 224
        let second = Tensor(shape: [1, 3, 224, 224], scalars: Array(pixels.scalars[size..<2 * size]))
        let alone = try encoder.encode(pixels: second)
        let tokens = batch.tokens.shape[1] * batch.tokens.shape[2]
        let fromBatch = Tensor(
            shape: alone.tokens.shape, scalars: Array(batch.tokens.scalars[tokens..<2 * tokens]))
        #expect(relativeDifference(alone.tokens, fromBatch) <= 1e-5)

        // A larger batch is split across threads when there are several (two images per thread
        // at least); the shares must agree with the unsplit batch.
        let doubled = Tensor(shape: [8, 3, 224, 224], scalars: Array(repeating: pixels.scalars, count: 4).flatMap { $0 })
        let split = try encoder.encode(pixels: doubled)
        #expect(split.tokens.shape == [8] + batch.tokens.shape.dropFirst())
        for copy in 0..<4 {
            let part = Tensor(
                shape: batch.tokens.shape,
                scalars: Array(split.tokens.scalars[copy * 2 * tokens..<(copy + 1) * 2 * tokens]))
            #expect(relativeDifference(part, batch.tokens) <= 1e-5, "copy \(copy)")
        }
    }

    @Test("names with a dinov2. prefix load too")
    func prefixedNames() throws {
        let folder = try editedCopy(of: "dinov2-tiny") { tensors in
            tensors = Dictionary(uniqueKeysWithValues: tensors.map { ("dinov2." + $0.key, $0.value) })
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let pixels = try dinoInput("nonsquare")
        let prefixed = try Dinov2Model(folder: folder).encode(pixels: pixels)
        let plain = try Dinov2Model(folder: dinoFolder("dinov2-tiny")).encode(pixels: pixels)
        // Equal up to rounding: concurrently running tests can change how OpenBLAS splits a GEMM.
        #expect(relativeDifference(prefixed.tokens, plain.tokens) <= 1e-6)
    }

    @Test("a missing weight is reported by name")
    func missingWeight() throws {
        let name = "encoder.layer.1.mlp.fc2.weight"
        let folder = try editedCopy(of: "dinov2-tiny") { $0[name] = nil }
        defer { try? FileManager.default.removeItem(at: folder) }
        do throws(ModelLoadError) {
            _ = try Dinov2Model(folder: folder)
            Issue.record("loading succeeded without \(name)")
        } catch {
            guard case .missingTensor(let missing, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(missing == name)
            #expect(error.description.contains(name))
        }
        let backend = try #require(BuiltinBackends.all.first { $0.id == "dinov2" })
        #expect(throws: ModelLoadError.self) { try backend.inspect(folder: folder) }
    }

    @Test("a misshapen weight is reported with the expected and stored shapes")
    func misshapenWeight() throws {
        let name = "encoder.layer.0.attention.attention.key.weight"
        let folder = try editedCopy(of: "dinov2-swiglu") { tensors in
            tensors[name] = ([47, 48], Array(repeating: 0.5, count: 47 * 48))
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        do throws(ModelLoadError) {
            _ = try Dinov2Model(folder: folder)
            Issue.record("loading succeeded with a misshapen \(name)")
        } catch {
            guard case .shapeMismatch(let tensor, let expected, let found, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(tensor == name)
            #expect(expected == [48, 48])
            #expect(found == [47, 48])
        }
    }

    @Test("a register table of the wrong length is refused")
    func misshapenRegisters() throws {
        let folder = try editedCopy(of: "dinov2-registers") { tensors in
            tensors["embeddings.register_tokens"] = ([1, 3, 48], Array(repeating: 0, count: 3 * 48))
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: ModelLoadError.shapeMismatch(
            tensor: "embeddings.register_tokens", expected: [1, 4, 48], found: [1, 3, 48],
            file: folder.appendingPathComponent("model.safetensors").path)
        ) {
            try Dinov2Model(folder: folder)
        }
    }

    @Test("pixels must be [N, 3, H, W] with H and W multiples of the patch size")
    func pixelShapes() throws {
        let encoder = try Dinov2Model(folder: dinoFolder("dinov2-tiny"))
        #expect(throws: VisionEncoderError.imageSizeNotMultipleOfPatch(height: 230, width: 224, patchSize: 14)) {
            try encoder.encode(pixels: Tensor(shape: [1, 3, 230, 224]))
        }
        #expect(throws: VisionEncoderError.imageSizeNotMultipleOfPatch(height: 28, width: 20, patchSize: 14)) {
            try encoder.encode(pixels: Tensor(shape: [2, 3, 28, 20]))
        }
        for shape in [[3, 224, 224], [1, 4, 224, 224], [1, 3, 0, 14]] {
            #expect(throws: VisionEncoderError.self) { try encoder.encode(pixels: Tensor(shape: shape)) }
        }
        let empty = try encoder.encode(pixels: Tensor(shape: [0, 3, 28, 42]))
        #expect(empty.tokens.shape == [0, 7, 48])
        #expect(empty.pooled.shape == [0, 48])
    }

    @Test("the dinov2 backend loads both model types and reports the width")
    func backend() throws {
        let backend = try #require(BuiltinBackends.all.first { $0.id == "dinov2" } as? any VisionEncoderBackend)
        #expect(backend.modality == .vision)
        #expect(Set(backend.modelTypes) == ["dinov2", "dinov2_with_registers"])
        for model in dinoModels {
            #expect(try backend.inspect(folder: dinoFolder(model)) == CheckpointInspection(pooledWidth: 48, tokenWidth: 48))
        }
        let encoder = try backend.loadVisionEncoder(folder: dinoFolder("dinov2-registers"))
        #expect(encoder.width == 48 && encoder.patchSize == 14 && encoder.registerCount == 4)
        let encoding = try encoder.encode(pixels: dinoInput("nonsquare"))
        let reference = try dinoReference("dinov2-registers")
        #expect(relativeDifference(encoding.tokens, try storedTensor(reference, "tokens_nonsquare")) <= 1e-4)
    }

    /// Images per second for a ViT-S/14-sized random model (hidden 384, 12 layers, 6 heads, MLP
    /// 1536, stored grid 37 × 37 as the hub models) at 224 px, batch 16. Runs only with
    /// ZOO_BENCH=1; threads from ZOO_BENCH_THREADS (default 2), batch from ZOO_BENCH_BATCH,
    /// timed rounds from ZOO_BENCH_ROUNDS; ZOO_BENCH_MODEL names a model folder to use instead
    /// of the random one, and ZOO_BENCH_REFERENCE a safetensors file of `pixels` and the
    /// `tokens` transformers computes for them, to check parity too. Prints, asserts nothing on
    /// time.
    @Test(
        "ViT-S/14 speed (ZOO_BENCH=1)",
        .enabled(if: ProcessInfo.processInfo.environment["ZOO_BENCH"] == "1"))
    func speed() throws {
        let environment = ProcessInfo.processInfo.environment
        let threads = Int(environment["ZOO_BENCH_THREADS"] ?? "") ?? 2
        let batch = Int(environment["ZOO_BENCH_BATCH"] ?? "") ?? 16
        let rounds = Int(environment["ZOO_BENCH_ROUNDS"] ?? "") ?? 5
        let folder: URL
        var temporary: URL?
        if let path = environment["ZOO_BENCH_MODEL"], !path.isEmpty {
            folder = URL(fileURLWithPath: path)
        } else {
            folder = try Self.randomViTSmall()
            temporary = folder
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let encoder = try Dinov2Model(folder: folder)
        var generator = BenchRandom(seed: 7)
        var pixels = Tensor(
            shape: [batch, 3, 224, 224], scalars: (0..<batch * 3 * 224 * 224).map { _ in generator.normal() })
        // ZOO_BENCH_REFERENCE: a safetensors file with `pixels` and the matching `tokens`
        // (transformers' last_hidden_state) for the ZOO_BENCH_MODEL folder.
        var expected: Tensor?
        if let path = environment["ZOO_BENCH_REFERENCE"], !path.isEmpty {
            let file = try SafeTensorsFile(url: URL(fileURLWithPath: path))
            pixels = try storedTensor(file, "pixels")
            expected = try storedTensor(file, "tokens")
        }
        let previous = ComputeThreads.count
        ComputeThreads.set(threads)
        defer { ComputeThreads.set(previous) }
        let first = try encoder.encode(pixels: pixels)
        if let expected {
            #expect(first.tokens.shape == expected.shape)
            let difference = relativeDifference(first.tokens, expected)
            print("dinov2 bench reference: tokens max|Δ|/max|ref| \(difference), pooled min cosine \(minimumCosine(first.pooled, expected.clsPooled()))")
            #expect(difference <= 1e-4)
        }
        var best = Double.infinity
        var total = 0.0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            let encoding = try encoder.encode(pixels: pixels)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(encoding.tokens.shape == first.tokens.shape)
            best = min(best, seconds)
            total += seconds
        }
        print(String(
            format: "dinov2 bench ViT-S/14 224px batch %d, %d threads, BLAS core %@: best %.3f s (%.1f images/s), mean %.3f s (%.1f images/s)",
            batch, threads, BLASCore.name, best, Double(batch) / best, total / Double(rounds),
            Double(batch) * Double(rounds) / total))
    }

    /// Writes a random ViT-S/14 DINOv2 folder (config.json and model.safetensors) to a
    /// temporary directory.
    private static func randomViTSmall() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-vits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (d, layers, hidden, grid) = (384, 12, 1536, 37)
        let config = """
            {"model_type": "dinov2", "hidden_size": \(d), "num_hidden_layers": \(layers),
             "num_attention_heads": 6, "mlp_ratio": 4, "image_size": 518, "patch_size": 14,
             "layer_norm_eps": 1e-6, "hidden_act": "gelu", "qkv_bias": true, "use_swiglu_ffn": false}
            """
        try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
        var generator = BenchRandom(seed: 1)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        func add(_ name: String, _ shape: [Int], scale: Float, offset: Float = 0) throws {
            let count = shape.reduce(1, *)
            try writer.add(name, floats: (0..<count).map { _ in offset + scale * generator.normal() }, shape: shape)
        }
        try add("embeddings.patch_embeddings.projection.weight", [d, 3, 14, 14], scale: 1 / 24.2)
        try add("embeddings.patch_embeddings.projection.bias", [d], scale: 0.02)
        try add("embeddings.cls_token", [1, 1, d], scale: 1)
        try add("embeddings.mask_token", [1, d], scale: 1)
        try add("embeddings.position_embeddings", [1, 1 + grid * grid, d], scale: 0.5)
        for index in 0..<layers {
            let root = "encoder.layer.\(index)."
            for part in ["query", "key", "value"] {
                try add(root + "attention.attention.\(part).weight", [d, d], scale: 1 / 19.6)
                try add(root + "attention.attention.\(part).bias", [d], scale: 0.02)
            }
            try add(root + "attention.output.dense.weight", [d, d], scale: 1 / 19.6)
            try add(root + "attention.output.dense.bias", [d], scale: 0.02)
            for norm in ["norm1", "norm2"] {
                try add(root + norm + ".weight", [d], scale: 0.1, offset: 1)
                try add(root + norm + ".bias", [d], scale: 0.1)
            }
            try add(root + "layer_scale1.lambda1", [d], scale: 0.01, offset: 0.1)
            try add(root + "layer_scale2.lambda1", [d], scale: 0.01, offset: 0.1)
            try add(root + "mlp.fc1.weight", [hidden, d], scale: 1 / 19.6)
            try add(root + "mlp.fc1.bias", [hidden], scale: 0.02)
            try add(root + "mlp.fc2.weight", [d, hidden], scale: 1 / 39.2)
            try add(root + "mlp.fc2.bias", [d], scale: 0.02)
        }
        try add("layernorm.weight", [d], scale: 0.1, offset: 1)
        try add("layernorm.bias", [d], scale: 0.1)
        try writer.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}

/// A small seeded generator of normal variates for the benchmark's weights and pixels.
private struct BenchRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func uniform() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Float(z >> 40) + 0.5) / Float(1 << 24)
    }

    /// A standard normal variate (Box–Muller).
    mutating func normal() -> Float {
        let (u, v) = (uniform(), uniform())
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
