import Foundation
@testable import Registry

/// A fresh temporary folder, removed when the value is dropped by the test.
final class TemporaryFolder {
    let url: URL

    init() {
        url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("zoo-tests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `relative`, creating folders.
    @discardableResult
    func write(_ relative: String, _ text: String) -> URL {
        write(relative, Data(text.utf8))
    }

    /// Writes `data` to `relative`, creating folders.
    @discardableResult
    func write(_ relative: String, _ data: Data) -> URL {
        let file = url.appendingPathComponent(relative)
        try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! data.write(to: file)
        return file
    }

    /// A minimal checkpoint folder in Hugging Face layout whose weights bytes depend on `seed`.
    func checkpoint(_ name: String, seed: Int = 0, modelType: String = "bert") -> URL {
        write("\(name)/config.json", #"{"model_type": "\#(modelType)", "hidden_size": 32}"#)
        write("\(name)/model.safetensors", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }))
        write("\(name)/1_Pooling/config.json", #"{"pooling_mode_mean_tokens": true}"#)
        return url.appendingPathComponent(name)
    }
}

extension ModelZoo {
    /// Registers a text encoder from `folder` with defaults for tests.
    @discardableResult
    func add(_ name: String, aliases: [String] = [], from folder: URL, modality: Modality = .text,
             replace: Bool = false) throws -> EncoderEntry {
        try addEncoder(
            NewEncoder(name: name, aliases: aliases, modality: modality, backend: modality == .text ? "bert" : "dinov2",
                       pooledWidth: 32, tokenWidth: 32),
            from: try CheckpointFolder(url: folder), link: false, replace: replace)
    }
}

/// Runs `body` and returns the `ZooError` it throws, or nil.
func zooError(_ body: () throws -> Void) -> ZooError? {
    do { try body() } catch let error as ZooError { return error } catch { return ZooError(.software, "\(error)") }
    return nil
}
