import Foundation
import Plugins
import Runtime
import Testing

/// docs/CONTRIBUTING.md's "Adding an architecture", as code: the walkthrough's architecture is
/// one value conforming to ``TextArchitecture``, registered once, and nothing else changes.
///
/// It reads BERT-layout weights stored under a `walkthrough.` root and numbers positions as
/// RoBERTa does, so the test can check its outputs against the built-in architectures'.
struct WalkthroughArchitecture: TextArchitecture {
    var id: String { "walkthrough" }
    var modelTypes: [String] { ["zoo-walkthrough"] }
    var summary: String { "the CONTRIBUTING.md example: BERT layers, positions after the padding id" }
    var weightRoots: [String] { ["walkthrough."] }
    var positions: PositionScheme { .afterPadding }
    var defaultPadTokenID: Int { 1 }
}

@Suite("Adding an architecture (docs/CONTRIBUTING.md)", .serialized)
struct ArchitectureWalkthroughTests {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test("a new architecture is one value and one registration: picked by model_type, loaded, run")
    func registeredArchitectureRuns() throws {
        // A RoBERTa checkpoint re-labelled as the new model_type, its tensors under the new root.
        let source = Self.fixtures.appendingPathComponent("models/tiny-roberta")
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-walkthrough-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configURL = folder.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["model_type"] = "zoo-walkthrough"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let original = try SafeTensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var writer = SafeTensorsWriter()
        for info in original.tensors {
            let name = info.name.hasPrefix("roberta.") ? String(info.name.dropFirst("roberta.".count)) : info.name
            try writer.add("walkthrough." + name, floats: try original.floats(info.name), shape: info.shape)
        }
        let weights = folder.appendingPathComponent("model.safetensors")
        try FileManager.default.removeItem(at: weights)
        try writer.write(to: weights)

        // Unknown before registration: no built-in architecture reads the model_type.
        #expect(throws: ModelLoadError.self) { try SentenceEncoderModel(folder: folder) }

        // The one registration line (a program adds it to BuiltinBackends.all; a test bootstraps it).
        EncoderBackends.bootstrap([WalkthroughArchitecture()])
        let backend = try #require(EncoderBackends.backend(modelType: "zoo-walkthrough") as? any TextEncoderBackend)
        #expect(backend.id == "walkthrough" && backend.modality == .text)
        let inspection = try backend.inspect(folder: folder)
        #expect(inspection.pooledWidth == config["hidden_size"] as? Int)

        // Same layers and positions as RoBERTa: the same outputs, bit for bit.
        let encoder = try backend.loadTextEncoder(folder: folder)
        let reference = try Roberta().loadTextEncoder(folder: source)
        let texts = ["a photo of a cat", "zoo"]
        #expect(try encoder.encode(texts).pooled == reference.encode(texts).pooled)
    }
}
