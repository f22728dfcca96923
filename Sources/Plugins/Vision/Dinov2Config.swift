import Foundation
import Runtime

/// The fields of a Hugging Face DINOv2 `config.json` (`Dinov2Config` or
/// `Dinov2WithRegistersConfig`) that the native forward pass uses.
public struct Dinov2Config: Sendable, Equatable {
    /// `model_type`: `dinov2` (`Dinov2Model`) or `dinov2_with_registers`
    /// (`Dinov2WithRegistersModel`).
    public var modelType: String
    /// `hidden_size`: the width of every token state.
    public var hiddenSize: Int
    /// `num_hidden_layers`.
    public var layerCount: Int
    /// `num_attention_heads`; it divides ``hiddenSize``.
    public var attentionHeads: Int
    /// `mlp_ratio`: the feed-forward width relative to ``hiddenSize``.
    public var mlpRatio: Double
    /// `hidden_act`, mapped to a GELU form; unused by SwiGLU feed-forward blocks.
    public var activation: GELUForm
    /// `layer_norm_eps`.
    public var layerNormEpsilon: Float
    /// `image_size`: the side of the square image the stored position table was trained for.
    public var imageSize: Int
    /// `patch_size`: the side of each square patch, in pixels.
    public var patchSize: Int
    /// `num_channels`: channels of the input pixels.
    public var channels: Int
    /// `qkv_bias`: whether the query, key and value projections have biases.
    public var qkvBias: Bool
    /// `use_swiglu_ffn`: a SwiGLU feed-forward block instead of the GELU MLP.
    public var usesSwiGLU: Bool
    /// `num_register_tokens` for `dinov2_with_registers`; 0 for `dinov2`.
    public var registerCount: Int

    /// The width of one attention head.
    public var headWidth: Int { hiddenSize / attentionHeads }

    /// The side of the stored position grid, `image_size / patch_size` (rounded down).
    public var positionGridSide: Int { imageSize / patchSize }

    /// Whether position embeddings are resized with antialiasing: transformers 5.24 passes
    /// `antialias=True` for `Dinov2WithRegistersModel` and `False` for `Dinov2Model`.
    public var antialiasedPositionInterpolation: Bool { modelType == "dinov2_with_registers" }

    /// The hidden width of the feed-forward block, by transformers' rule: `int(hidden · ratio)`
    /// for the MLP; for SwiGLU that width times 2/3, truncated, then rounded up to a multiple of 8.
    public var feedForwardWidth: Int {
        let width = Int(Double(hiddenSize) * mlpRatio)
        guard usesSwiGLU else { return width }
        return (Int(Double(width) * 2 / 3) + 7) / 8 * 8
    }

    /// Creates a configuration from its fields.
    public init(
        modelType: String, hiddenSize: Int, layerCount: Int, attentionHeads: Int, mlpRatio: Double,
        activation: GELUForm, layerNormEpsilon: Float, imageSize: Int, patchSize: Int, channels: Int,
        qkvBias: Bool, usesSwiGLU: Bool, registerCount: Int
    ) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.attentionHeads = attentionHeads
        self.mlpRatio = mlpRatio
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.qkvBias = qkvBias
        self.usesSwiGLU = usesSwiGLU
        self.registerCount = registerCount
    }

    /// config.json as stored; property names are its keys in camelCase.
    struct Stored: Decodable {
        var modelType: String
        var hiddenSize: Int
        var numHiddenLayers: Int
        var numAttentionHeads: Int
        var mlpRatio: Double?
        var hiddenAct: String?
        var layerNormEps: Double?
        var imageSize: Int?
        var patchSize: Int?
        var numChannels: Int?
        var qkvBias: Bool?
        var useSwigluFfn: Bool?
        var numRegisterTokens: Int?
    }

    /// Reads and checks `config.json` at `url`.
    ///
    /// `model_type`, `hidden_size`, `num_hidden_layers` and `num_attention_heads` are required.
    /// The others default as in transformers: `mlp_ratio` 4, `hidden_act` `gelu`,
    /// `layer_norm_eps` 1e-6, `image_size` 224, `patch_size` 14, `num_channels` 3, `qkv_bias`
    /// true, `use_swiglu_ffn` false, `num_register_tokens` 4 (registers model only).
    ///
    /// - Throws: ``ModelLoadError`` naming the file and key.
    public init(contentsOf url: URL) throws(ModelLoadError) {
        let stored = try ConfigFile.decode(Stored.self, from: url)
        let supported = Dinov2().modelTypes
        guard supported.contains(stored.modelType) else {
            throw .unsupportedModelType(file: url.path, modelType: stored.modelType, supported: supported)
        }
        let usesSwiGLU = stored.useSwigluFfn ?? false
        let activationName = stored.hiddenAct ?? "gelu"
        // A SwiGLU block applies SiLU whatever hidden_act says.
        guard let activation = GELUForm(huggingFaceName: activationName) ?? (usesSwiGLU ? .exact : nil) else {
            throw .unsupportedActivation(file: url.path, activation: activationName)
        }
        let hasRegisters = stored.modelType == "dinov2_with_registers"
        let mlpRatio = stored.mlpRatio ?? 4
        let epsilon = stored.layerNormEps ?? 1e-6
        for (key, value) in [("mlp_ratio", mlpRatio), ("layer_norm_eps", epsilon)] {
            try ConfigFile.require(value > 0 && value.isFinite, file: url, key: key, "must be a positive number")
        }
        self.init(
            modelType: stored.modelType,
            hiddenSize: stored.hiddenSize,
            layerCount: stored.numHiddenLayers,
            attentionHeads: stored.numAttentionHeads,
            mlpRatio: mlpRatio,
            activation: activation,
            layerNormEpsilon: Float(epsilon),
            imageSize: stored.imageSize ?? 224,
            patchSize: stored.patchSize ?? 14,
            channels: stored.numChannels ?? 3,
            qkvBias: stored.qkvBias ?? true,
            usesSwiGLU: usesSwiGLU,
            registerCount: hasRegisters ? stored.numRegisterTokens ?? 4 : 0)
        for (key, value, minimum) in [
            ("hidden_size", hiddenSize, 1), ("num_hidden_layers", layerCount, 0), ("num_attention_heads", attentionHeads, 1),
            ("image_size", imageSize, 1), ("patch_size", patchSize, 1), ("num_channels", channels, 1),
            ("num_register_tokens", registerCount, 0),
        ] {
            try ConfigFile.require(value >= minimum, file: url, key: key, "must be an integer ≥ \(minimum)")
        }
        try ConfigFile.require(
            hiddenSize % attentionHeads == 0, file: url, key: "num_attention_heads",
            "(\(attentionHeads)) does not divide hidden_size (\(hiddenSize))")
        try ConfigFile.require(
            imageSize >= patchSize, file: url, key: "image_size",
            "(\(imageSize)) is smaller than patch_size (\(patchSize))")
        try ConfigFile.require(feedForwardWidth > 0, file: url, key: "mlp_ratio", "gives an empty feed-forward block")
    }
}
