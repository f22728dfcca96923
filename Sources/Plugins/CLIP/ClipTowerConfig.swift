import Foundation
import Runtime

/// One tower of a CLIP checkpoint as its config.json describes it: the `text_config` or
/// `vision_config` of a `clip` model, or the whole config of a `clip_text_model` or
/// `clip_vision_model`. Missing keys take transformers' CLIP defaults.
public struct ClipTowerConfig: Sendable, Equatable {
    /// Which tower.
    public enum Tower: String, Sendable {
        case text
        case vision
    }

    /// Which tower this is.
    public var tower: Tower
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
    /// `projection_dim`: the width of the joint space the projection head maps to.
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
    }

    /// The model types a tower's config may have: the full model's or the tower's own.
    public static func modelTypes(for tower: Tower) -> [String] {
        tower == .text ? ["clip", "clip_text_model"] : ["clip", "clip_vision_model"]
    }

    /// Reads the `tower` part of config.json at `url`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file and key: a `model_type` that is not CLIP's,
    ///   an activation zoo has no kernel for, sizes below 1, heads that do not divide the width,
    ///   or an image size that is not a multiple of the patch size.
    public init(contentsOf url: URL, tower: Tower) throws(ModelLoadError) {
        let stored = try ConfigFile.decode(Stored.self, from: url)
        let modelType = stored.modelType ?? ""
        guard Self.modelTypes(for: tower).contains(modelType) else {
            throw .unsupportedModelType(file: url.path, modelType: modelType, supported: Self.modelTypes(for: tower))
        }
        let prefix = modelType == "clip" ? "\(tower.rawValue)_config." : ""
        let nested = modelType == "clip" ? (tower == .text ? stored.textConfig : stored.visionConfig) : nil
        func pick<T>(_ nestedValue: T?, _ flatValue: T?) -> T? { modelType == "clip" ? nestedValue : flatValue }
        let text = tower == .text
        self.tower = tower
        hiddenSize = pick(nested?.hiddenSize, stored.hiddenSize) ?? (text ? 512 : 768)
        intermediateSize = pick(nested?.intermediateSize, stored.intermediateSize) ?? (text ? 2048 : 3072)
        layerCount = pick(nested?.numHiddenLayers, stored.numHiddenLayers) ?? 12
        attentionHeads = pick(nested?.numAttentionHeads, stored.numAttentionHeads) ?? (text ? 8 : 12)
        let activationName = pick(nested?.hiddenAct, stored.hiddenAct) ?? "quick_gelu"
        guard let activation = GELUForm(huggingFaceName: activationName) else {
            throw .unsupportedActivation(file: url.path, activation: activationName)
        }
        self.activation = activation
        let epsilon = pick(nested?.layerNormEps, stored.layerNormEps) ?? 1e-5
        layerNormEpsilon = Float(epsilon)
        // A clip model projects to its top-level projection_dim (CLIPModel reads that one).
        projectionWidth = stored.projectionDim ?? 512
        vocabularySize = pick(nested?.vocabSize, stored.vocabSize) ?? 49_408
        maxPositions = pick(nested?.maxPositionEmbeddings, stored.maxPositionEmbeddings) ?? 77
        endOfTextID = pick(nested?.eosTokenId, stored.eosTokenId) ?? 49_407
        imageSize = pick(nested?.imageSize, stored.imageSize) ?? 224
        patchSize = pick(nested?.patchSize, stored.patchSize) ?? 32
        channels = pick(nested?.numChannels, stored.numChannels) ?? 3
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
        try ConfigFile.require(projectionWidth >= 1, file: url, key: "projection_dim", "must be an integer ≥ 1")
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
