import Foundation
import Runtime

/// The backends that ship inside zoo.
public enum BuiltinBackends {
    /// Every built-in backend, in id order.
    public static let all: [any EncoderBackend] = [
        SentenceTransformerBackend(
            id: "bert", modelTypes: ["bert"],
            summary: "BERT sentence encoders (sentence-transformers layout), native on OpenBLAS"),
        HuggingFaceConfigBackend(
            id: "dinov2", modality: .vision, modelTypes: ["dinov2", "dinov2_with_registers"],
            summary: "DINOv2 vision transformers, with or without register tokens"),
        SentenceTransformerBackend(
            id: "roberta", modelTypes: ["roberta", "xlm-roberta"],
            summary: "RoBERTa sentence encoders (sentence-transformers layout), native on OpenBLAS"),
    ]

    /// Registers the built-in backends with `EncoderBackends`.
    public static func bootstrap() {
        EncoderBackends.bootstrap(all)
    }
}

/// A backend described by its Hugging Face config: it reads config.json and reports the widths.
/// The native forward passes arrive with the encoder issues; until then a folder is accepted
/// when its config.json names a hidden size.
struct HuggingFaceConfigBackend: EncoderBackend {
    let id: String
    let modality: EncoderModality
    let modelTypes: [String]
    let summary: String

    func inspect(folder: URL) throws -> CheckpointInspection {
        let url = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw BackendError("'\(url.path)' is missing or not a JSON object") }
        if let type = config["model_type"] as? String, !modelTypes.contains(type) {
            throw BackendError("'\(url.path)' has model_type '\(type)', which backend '\(id)' does not read (it reads \(modelTypes.joined(separator: ", ")))")
        }
        guard let hidden = config["hidden_size"] as? Int, hidden > 0 else {
            throw BackendError("'\(url.path)' lacks a positive integer hidden_size, which backend '\(id)' needs")
        }
        return CheckpointInspection(pooledWidth: hidden, tokenWidth: hidden)
    }
}
