import Foundation
import Runtime

/// A vision architecture zoo runs natively: one value conforming to this protocol, in its own
/// file, listed once in ``BuiltinBackends/all``.
///
/// The architecture reads its config.json into its own `Decodable` configuration, its weights
/// through a ``WeightReader`` under ``weightRoots``, and returns a model that encodes
/// preprocessed pixels; image preprocessing comes from the folder's
/// `preprocessor_config.json`, read by Runtime for every architecture alike.
public protocol VisionArchitecture: VisionEncoderBackend {
    /// Roots a task model puts before the backbone's tensor names, for example `["dinov2."]`.
    var weightRoots: [String] { get }
    /// Loads the model in `folder`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    func loadModel(folder: URL) throws(ModelLoadError) -> any VisionEncoder
}

extension VisionArchitecture {
    public var modality: Modality { .vision }

    /// Loads the whole model, so a folder with a missing or misshapen weight is refused at
    /// registration, naming the tensor.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let model = try loadModel(folder: folder)
        return CheckpointInspection(pooledWidth: model.width, tokenWidth: model.width)
    }

    public func loadVisionEncoder(folder: URL) throws -> any VisionEncoder {
        try loadModel(folder: folder)
    }
}
