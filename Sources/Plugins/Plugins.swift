import Foundation
import Runtime

/// The architectures that ship inside zoo: one value per architecture, each an
/// ``EncoderBackend`` declared in its own file. Adding one is a new file and a line here.
public enum BuiltinBackends {
    /// Every built-in architecture, in id order.
    public static let all: [any EncoderBackend] = [
        Bert(),
        ClipText(),
        ClipVision(),
        Dinov2(),
        MPNet(),
        Roberta(),
        SiglipText(),
        SiglipVision(),
    ]

    /// Registers the built-in architectures with `EncoderBackends`.
    public static func bootstrap() {
        EncoderBackends.bootstrap(all)
    }

    /// The built-in text architecture that reads `folder`'s config.json `model_type` (BERT when
    /// the key is absent, as transformers assumes for old BERT folders).
    ///
    /// - Throws: ``ModelLoadError/unsupportedModelType(file:modelType:supported:)`` naming the
    ///   text architectures' model types.
    public static func textArchitecture(folder: URL) throws(ModelLoadError) -> any TextArchitecture {
        let texts = all.compactMap { $0 as? any TextArchitecture }
        let modelType = HuggingFaceModelType.read(folder: folder) ?? "bert"
        guard let found = texts.first(where: { $0.modelTypes.contains(modelType) }) else {
            throw .unsupportedModelType(
                file: folder.appendingPathComponent("config.json").path, modelType: modelType,
                supported: texts.flatMap(\.modelTypes))
        }
        return found
    }
}
