import Foundation
import Plugins
import Runtime
import Testing

/// timm-style: the suite runs over every registered built-in backend.
@Suite("Built-in encoder backends")
struct BuiltinBackendTests {
    init() { BuiltinBackends.bootstrap() }

    @Test("ids are unique and every backend is reachable by id and by each model_type", arguments: BuiltinBackends.all.map(\.id))
    func registered(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        #expect(!backend.summary.isEmpty)
        for type in backend.modelTypes {
            #expect(EncoderBackends.backend(modelType: type)?.id == id)
        }
        #expect(BuiltinBackends.all.filter { $0.id == id }.count == 1)
    }

    @Test("each backend inspects a real folder of its own model_type and rejects another", arguments: BuiltinBackends.all.map(\.id))
    func inspects(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        let source = try #require(Self.fixtureFolders[id], "no fixture model for backend '\(id)'")
        let expected = try #require(try Self.hiddenSize(of: source))
        #expect(try backend.inspect(folder: source) == CheckpointInspection(pooledWidth: expected, tokenWidth: expected))

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
        #expect(throws: BackendError.self) { try backend.inspect(folder: folder) }
        var noHiddenSize = original
        noHiddenSize["hidden_size"] = nil
        try JSONSerialization.data(withJSONObject: noHiddenSize).write(to: config)
        #expect(throws: BackendError.self) { try backend.inspect(folder: folder) }
    }

    /// A real checkpoint folder for each built-in backend.
    private static let fixtureFolders: [String: URL] = {
        let fixtures = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        return [
            "bert": fixtures.appendingPathComponent("models/tiny-bert"),
            "roberta": fixtures.appendingPathComponent("models/tiny-roberta"),
            "dinov2": fixtures.appendingPathComponent("vision/models/dinov2-tiny"),
        ]
    }()

    /// `hidden_size` from the config.json in `folder`.
    private static func hiddenSize(of folder: URL) throws -> Int? {
        let data = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["hidden_size"] as? Int
    }
}
