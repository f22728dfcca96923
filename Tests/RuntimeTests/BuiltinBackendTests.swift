import Foundation
import Plugins
import Runtime
import Testing

/// timm-style: the suite runs over every registered built-in architecture, so a new one without
/// a fixture model or parity reference fails here.
@Suite("Built-in encoder backends")
struct BuiltinBackendTests {
    init() { BuiltinBackends.bootstrap() }

    @Test("ids are unique and every backend is reachable by id and by each model_type", arguments: BuiltinBackends.all.map(\.id))
    func registered(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        #expect(!backend.summary.isEmpty)
        for type in backend.modelTypes {
            #expect(EncoderBackends.backend(modelType: type, modality: backend.modality)?.id == id)
            // A model_type read by several backends is read by one per modality.
            let readers = EncoderBackends.all.filter { $0.modelTypes.contains(type) }
            #expect(Set(readers.map(\.modality)).count == readers.count, "\(type): \(readers.map(\.id))")
        }
        #expect(BuiltinBackends.all.filter { $0.id == id }.count == 1)
    }

    @Test("each backend inspects a real folder of its own model_type and rejects another", arguments: BuiltinBackends.all.map(\.id))
    func inspects(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        let source = try #require(Self.fixtureFolders[id], "no fixture model for backend '\(id)'")
        let expected = try #require(try Self.expectedInspection(id: id, folder: source))
        #expect(try backend.inspect(folder: source) == expected)

        // The failure cases edit config.json in a copy of the fixture.
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-backend-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        let original = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        var wrongType = original
        wrongType["model_type"] = "gpt2"
        try JSONSerialization.data(withJSONObject: wrongType).write(to: config)
        #expect(throws: ModelLoadError.self) { try backend.inspect(folder: folder) }
        var noHiddenSize = original
        noHiddenSize["hidden_size"] = nil
        // A full CLIP config nests its towers' sizes; without them the defaults do not fit.
        for tower in ["text_config", "vision_config"] {
            if var nested = noHiddenSize[tower] as? [String: Any] {
                nested["hidden_size"] = nil
                noHiddenSize[tower] = nested
            }
        }
        try JSONSerialization.data(withJSONObject: noHiddenSize).write(to: config)
        #expect(throws: ModelLoadError.self) { try backend.inspect(folder: folder) }
    }

    @Test("each architecture loads, encodes a batch, and has a parity fixture from its reference implementation", arguments: BuiltinBackends.all.map(\.id))
    func encodes(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        let folder = try #require(Self.fixtureFolders[id], "no fixture model for backend '\(id)'")
        let reference = try #require(Self.parityFixtures[id], "no parity fixture for backend '\(id)'")
        #expect(FileManager.default.fileExists(atPath: reference.path), "missing \(reference.path)")
        let widths = try #require(try Self.expectedInspection(id: id, folder: folder))
        let width = try #require(widths.pooledWidth)
        let tokenWidth = try #require(widths.tokenWidth)
        switch backend {
        case let text as any TextEncoderBackend:
            let encoder = try text.loadTextEncoder(folder: folder)
            let ids = ["a photo of a dog", "two words"].map(encoder.tokenize)
            let encoding = try encoder.encode(ids: ids)
            #expect(encoding.pooled.shape == [2, width])
            #expect(encoding.pooled.scalars.allSatisfy { $0.isFinite })
        case let vision as any VisionEncoderBackend:
            let encoder = try vision.loadVisionEncoder(folder: folder)
            // CLIP and SigLIP take their image_size only; DINOv2 any multiple of its patch.
            let side = (encoder as? ClipVisionModel)?.config.imageSize ?? (encoder as? SiglipVisionModel)?.config.imageSize
                ?? 2 * encoder.patchSize
            let patches = (side / encoder.patchSize) * (side / encoder.patchSize)
            let classTokens = encoder is SiglipVisionModel ? 0 : 1
            let pixels = Tensor(shape: [2, 3, side, side], scalars: (0..<(2 * 3 * side * side)).map { Float($0 % 17) / 17 - 0.5 })
            let encoding = try encoder.encode(pixels: pixels)
            #expect(encoding.pooled.shape == [2, width])
            #expect(encoding.tokens.shape == [2, classTokens + encoder.registerCount + patches, tokenWidth])
            #expect(encoding.pooled.scalars.allSatisfy { $0.isFinite })
        default:
            Issue.record("backend '\(id)' is neither a text nor a vision backend")
        }
    }

    /// The file of reference outputs each built-in architecture's parity test compares against,
    /// written by the committed fixture scripts from transformers / sentence-transformers.
    private static let parityFixtures: [String: URL] = {
        let fixtures = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        return [
            "bert": fixtures.appendingPathComponent("reference/tiny-bert/outputs.safetensors"),
            "roberta": fixtures.appendingPathComponent("reference/tiny-roberta/outputs.safetensors"),
            "mpnet": fixtures.appendingPathComponent("reference/tiny-mpnet/outputs.safetensors"),
            "dinov2": fixtures.appendingPathComponent("vision/reference/dinov2-tiny.safetensors"),
            "clip-text": fixtures.appendingPathComponent("reference/tiny-clip/outputs.safetensors"),
            "clip-vision": fixtures.appendingPathComponent("reference/tiny-clip/outputs.safetensors"),
            "siglip-text": fixtures.appendingPathComponent("reference/tiny-siglip/outputs.safetensors"),
            "siglip-vision": fixtures.appendingPathComponent("reference/tiny-siglip/outputs.safetensors"),
        ]
    }()

    /// A real checkpoint folder for each built-in backend.
    private static let fixtureFolders: [String: URL] = {
        let fixtures = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        return [
            "bert": fixtures.appendingPathComponent("models/tiny-bert"),
            "roberta": fixtures.appendingPathComponent("models/tiny-roberta"),
            "mpnet": fixtures.appendingPathComponent("models/tiny-mpnet"),
            "dinov2": fixtures.appendingPathComponent("vision/models/dinov2-tiny"),
            "clip-text": fixtures.appendingPathComponent("models/tiny-clip"),
            "clip-vision": fixtures.appendingPathComponent("models/tiny-clip"),
            "siglip-text": fixtures.appendingPathComponent("models/tiny-siglip"),
            "siglip-vision": fixtures.appendingPathComponent("models/tiny-siglip"),
        ]
    }()

    /// What `inspect` must find in `folder`: the hidden size for both widths, but for CLIP's towers
    /// and SigLIP's text tower, whose pooled embedding is their projection.
    private static func expectedInspection(id: String, folder: URL) throws -> CheckpointInspection? {
        let data = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        guard let config = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if id.hasPrefix("clip-") {
            let tower = config[id == "clip-text" ? "text_config" : "vision_config"] as? [String: Any]
            return CheckpointInspection(pooledWidth: config["projection_dim"] as? Int, tokenWidth: tower?["hidden_size"] as? Int)
        }
        if id.hasPrefix("siglip-") {
            // SigLIP's text head maps to projection_size; its vision head keeps the hidden width.
            let tower = config[id == "siglip-text" ? "text_config" : "vision_config"] as? [String: Any]
            let hidden = tower?["hidden_size"] as? Int
            return CheckpointInspection(pooledWidth: id == "siglip-text" ? tower?["projection_size"] as? Int : hidden, tokenWidth: hidden)
        }
        let hidden = config["hidden_size"] as? Int
        return CheckpointInspection(pooledWidth: hidden, tokenWidth: hidden)
    }
}
