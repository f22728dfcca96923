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

    @Test("each backend inspects a folder of its own model_type and rejects another", arguments: BuiltinBackends.all.map(\.id))
    func inspects(id: String) throws {
        let backend = try #require(EncoderBackends.backend(id: id))
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-backend-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("config.json")
        try Data(#"{"model_type": "\#(backend.modelTypes[0])", "hidden_size": 48}"#.utf8).write(to: config)
        #expect(try backend.inspect(folder: folder) == CheckpointInspection(pooledWidth: 48, tokenWidth: 48))
        try Data(#"{"model_type": "gpt2", "hidden_size": 48}"#.utf8).write(to: config)
        #expect(throws: BackendError.self) { try backend.inspect(folder: folder) }
        try Data(#"{"model_type": "\#(backend.modelTypes[0])"}"#.utf8).write(to: config)
        #expect(throws: BackendError.self) { try backend.inspect(folder: folder) }
    }
}
