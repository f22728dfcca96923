import Foundation
import Runtime

/// SigLIP's vision tower as a zoo vision encoder (`siglip`, `siglip_vision_model`): a full SigLIP
/// checkpoint registers as a vision encoder with `--modality vision` (or `--backend
/// siglip-vision`), and as a text encoder with ``SiglipText``. Images are prepared by the folder's `preprocessor_config.json`
/// (`SiglipImageProcessor`: resize to a square, bilinear, mean and deviation 0.5).
public struct SiglipVision: VisionArchitecture {
    public init() {}
    public var id: String { "siglip-vision" }
    public var modelTypes: [String] { ClipTowerConfig.modelTypes(for: .vision, family: .siglip) }
    public var summary: String { "SigLIP vision towers (pre-norm ViT without class token, attention-pooling head, tanh GELU), native on zoo's kernels" }
    public var weightRoots: [String] { [] }

    public func loadModel(folder: URL) throws(ModelLoadError) -> any VisionEncoder {
        let config = try ClipTowerConfig(contentsOf: folder.appendingPathComponent("config.json"), tower: .vision, family: .siglip)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: [])
        return try SiglipVisionModel(config: config, weights: weights)
    }
}
