import Foundation
import Runtime

/// The built-in `dinov2` backend: Hugging Face DINOv2 checkpoints (`Dinov2Model`, and
/// `Dinov2WithRegistersModel` with register tokens), run natively by ``Dinov2Model``.
struct Dinov2Backend: VisionEncoderBackend {
    var id: String { "dinov2" }
    var modality: EncoderModality { .vision }
    var modelTypes: [String] { Dinov2Config.modelTypes }
    var summary: String { "DINOv2 vision transformers, with or without register tokens, native on OpenBLAS" }

    /// Loads the whole model, so a folder with a missing or misshapen weight is refused at
    /// registration, naming the tensor.
    func inspect(folder: URL) throws -> CheckpointInspection {
        let model = try load(folder: folder)
        return CheckpointInspection(pooledWidth: model.width, tokenWidth: model.width)
    }

    func loadVisionEncoder(folder: URL) throws -> any VisionEncoder {
        try load(folder: folder)
    }

    private func load(folder: URL) throws(BackendError) -> Dinov2Model {
        do {
            return try Dinov2Model(folder: folder)
        } catch {
            throw BackendError(error.description)
        }
    }
}
