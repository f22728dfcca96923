import Foundation
import Runtime

/// CLIP's vision tower as a zoo vision encoder (`clip`, `clip_vision_model`): a full CLIP
/// checkpoint registers as a vision encoder with `--modality vision` (or `--backend
/// clip-vision`), and as a text encoder with ``ClipText``. Images are prepared by the folder's
/// `preprocessor_config.json` (`CLIPImageProcessor`: shortest edge, bicubic, centre crop, CLIP's
/// mean and deviation).
public struct ClipVision: VisionArchitecture {
    public init() {}
    public var id: String { "clip-vision" }
    public var modelTypes: [String] { ClipTowerConfig.modelTypes(for: .vision) }
    public var summary: String { "CLIP vision towers (pre-norm ViT, class embedding, quick_gelu, visual_projection), native on zoo's kernels" }
    public var weightRoots: [String] { [] }

    public func loadModel(folder: URL) throws(ModelLoadError) -> any VisionEncoder {
        let config = try ClipTowerConfig(contentsOf: folder.appendingPathComponent("config.json"), tower: .vision)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: [])
        return try ClipVisionModel(config: config, weights: weights)
    }

    /// Loads the whole tower, so a folder with a missing or misshapen weight is refused at
    /// registration, naming the tensor.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let model = try loadModel(folder: folder)
        return CheckpointInspection(pooledWidth: model.width, tokenWidth: model.tokenWidth)
    }
}
