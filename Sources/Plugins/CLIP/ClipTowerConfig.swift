import Foundation
import Runtime

/// One tower of a CLIP or SigLIP checkpoint as its config.json describes it: the `text_config`
/// or `vision_config` of a `clip` (`siglip`) model, or the whole config of a `clip_text_model`
/// (`siglip_text_model`) or `clip_vision_model` (`siglip_vision_model`). Missing keys take
/// transformers' defaults for the family.
public struct ClipTowerConfig: Sendable, Equatable {
    /// Which tower.
    public enum Tower: String, Sendable {
        case text
        case vision
    }

    /// Which model family: the two share the layers and differ in embeddings, pooling and heads.
    public enum Family: String, Sendable {
        case clip
        case siglip
    }

    /// Which tower this is.
    public var tower: Tower
    /// Which family.
    public var family: Family
    /// `hidden_size`.
    public var hiddenSize: Int
    /// `intermediate_size`.
    public var intermediateSize: Int
    /// `num_hidden_layers`.
    public var layerCount: Int
    /// `num_attention_heads`; it divides ``hiddenSize``.
    public var attentionHeads: Int
    /// `hidden_act` (`quick_gelu` for OpenAI's CLIP).
    public var activation: GELUForm
    /// `layer_norm_eps`.
    public var layerNormEpsilon: Float
    /// The width of the joint space: CLIP's `projection_dim`, SigLIP's text `projection_size`
    /// (its vision tower pools to its hidden width).
    public var projectionWidth: Int
    /// Text: `vocab_size`.
    public var vocabularySize: Int
    /// Text: `max_position_embeddings`, the most tokens a text may have.
    public var maxPositions: Int
    /// Text: `eos_token_id`. With 2 (configs written before transformers 4.31) each text is
    /// pooled at its largest token id instead of its first end-of-text token.
    public var endOfTextID: Int
    /// Vision: `image_size`, the side of the square input.
    public var imageSize: Int
    /// Vision: `patch_size`.
    public var patchSize: Int
    /// Vision: `num_channels`.
    public var channels: Int
    /// SigLIP vision: `vision_use_head`, whether the attention-pooling head exists.
    public var usesHead: Bool

    /// The width of one attention head.
    public var headWidth: Int { hiddenSize / attentionHeads }
    /// Vision: patches per side of the input.
    public var gridSide: Int { imageSize / patchSize }

    /// config.json's keys (a tower's own, or a `clip` model's with both towers nested).
    struct Stored: Decodable {
        var modelType: String?
        var hiddenSize: Int?
        var intermediateSize: Int?
        var numHiddenLayers: Int?
        var numAttentionHeads: Int?
        var hiddenAct: String?
        var layerNormEps: Double?
        var projectionDim: Int?
        var vocabSize: Int?
        var maxPositionEmbeddings: Int?
        var eosTokenId: Int?
        var imageSize: Int?
        var patchSize: Int?
        var numChannels: Int?
        var projectionSize: Int?
        var visionUseHead: Bool?
        var textConfig: Nested?
        var visionConfig: Nested?
    }

    /// A nested tower config: the same keys, without nesting.
    struct Nested: Decodable {
        var hiddenSize: Int?
        var intermediateSize: Int?
        var numHiddenLayers: Int?
        var numAttentionHeads: Int?
        var hiddenAct: String?
        var layerNormEps: Double?
        var projectionDim: Int?
        var vocabSize: Int?
        var maxPositionEmbeddings: Int?
        var eosTokenId: Int?
        var imageSize: Int?
        var patchSize: Int?
        var numChannels: Int?
        var projectionSize: Int?
        var visionUseHead: Bool?
    }

    /// The model types a tower's config may have: the full model's or the tower's own.
    public static func modelTypes(for tower: Tower, family: Family = .clip) -> [String] {
        let name = family.rawValue
        return [name, "\(name)_\(tower.rawValue)_model"]
    }

    /// Reads the `tower` part of config.json at `url`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file and key: a `model_type` that is not CLIP's,
    ///   an activation zoo has no kernel for, sizes below 1, heads that do not divide the width,
    ///   or an image size that is not a multiple of the patch size.
    public init(contentsOf url: URL, tower: Tower, family: Family = .clip) throws(ModelLoadError) {
        let stored = try ConfigFile.decode(Stored.self, from: url)
        let modelType = stored.modelType ?? ""
        guard Self.modelTypes(for: tower, family: family).contains(modelType) else {
            throw .unsupportedModelType(file: url.path, modelType: modelType, supported: Self.modelTypes(for: tower, family: family))
        }
        let whole = modelType == family.rawValue
        let prefix = whole ? "\(tower.rawValue)_config." : ""
        let nested = whole ? (tower == .text ? stored.textConfig : stored.visionConfig) : nil
        func pick<T>(_ nestedValue: T?, _ flatValue: T?) -> T? { whole ? nestedValue : flatValue }
        let text = tower == .text
        let siglip = family == .siglip
        self.tower = tower
        self.family = family
        hiddenSize = pick(nested?.hiddenSize, stored.hiddenSize) ?? (text && !siglip ? 512 : 768)
        intermediateSize = pick(nested?.intermediateSize, stored.intermediateSize) ?? (text && !siglip ? 2048 : 3072)
        layerCount = pick(nested?.numHiddenLayers, stored.numHiddenLayers) ?? 12
        attentionHeads = pick(nested?.numAttentionHeads, stored.numAttentionHeads) ?? (text && !siglip ? 8 : 12)
        let activationName = pick(nested?.hiddenAct, stored.hiddenAct) ?? (siglip ? "gelu_pytorch_tanh" : "quick_gelu")
        guard let activation = GELUForm(huggingFaceName: activationName) else {
            throw .unsupportedActivation(file: url.path, activation: activationName)
        }
        self.activation = activation
        let epsilon = pick(nested?.layerNormEps, stored.layerNormEps) ?? (siglip ? 1e-6 : 1e-5)
        layerNormEpsilon = Float(epsilon)
        if siglip {
            // The text head maps to projection_size (the hidden width by default); the vision
            // head keeps the hidden width.
            projectionWidth = text ? (pick(nested?.projectionSize, stored.projectionSize) ?? hiddenSize) : hiddenSize
        } else {
            // A clip model projects to its top-level projection_dim (CLIPModel reads that one).
            projectionWidth = stored.projectionDim ?? 512
        }
        vocabularySize = pick(nested?.vocabSize, stored.vocabSize) ?? (siglip ? 32_000 : 49_408)
        maxPositions = pick(nested?.maxPositionEmbeddings, stored.maxPositionEmbeddings) ?? (siglip ? 64 : 77)
        endOfTextID = pick(nested?.eosTokenId, stored.eosTokenId) ?? 49_407
        imageSize = pick(nested?.imageSize, stored.imageSize) ?? 224
        patchSize = pick(nested?.patchSize, stored.patchSize) ?? (siglip ? 16 : 32)
        channels = pick(nested?.numChannels, stored.numChannels) ?? 3
        usesHead = pick(nested?.visionUseHead, stored.visionUseHead) ?? true
        try ConfigFile.require(epsilon > 0, file: url, key: prefix + "layer_norm_eps", "must be a positive number")
        var sizes = [
            ("hidden_size", hiddenSize, 1), ("intermediate_size", intermediateSize, 1),
            ("num_hidden_layers", layerCount, 0), ("num_attention_heads", attentionHeads, 1),
        ]
        sizes += text
            ? [("vocab_size", vocabularySize, 1), ("max_position_embeddings", maxPositions, 2)]
            : [("image_size", imageSize, 1), ("patch_size", patchSize, 1), ("num_channels", channels, 1)]
        for (key, value, minimum) in sizes {
            try ConfigFile.require(value >= minimum, file: url, key: prefix + key, "must be an integer ≥ \(minimum)")
        }
        try ConfigFile.require(projectionWidth >= 1, file: url, key: siglip ? prefix + "projection_size" : "projection_dim", "must be an integer ≥ 1")
        try ConfigFile.require(
            hiddenSize % attentionHeads == 0, file: url, key: prefix + "num_attention_heads",
            "(\(attentionHeads)) does not divide hidden_size (\(hiddenSize))")
        if !text {
            try ConfigFile.require(
                imageSize % patchSize == 0, file: url, key: prefix + "image_size",
                "(\(imageSize)) is not a multiple of patch_size (\(patchSize))")
        }
    }
}
