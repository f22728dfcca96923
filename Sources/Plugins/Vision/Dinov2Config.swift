import Foundation
import Runtime

/// The fields of a Hugging Face DINOv2 `config.json` (`Dinov2Config` or
/// `Dinov2WithRegistersConfig`) that the native forward pass uses.
public struct Dinov2Config: Sendable, Equatable {
    /// The `model_type` values this configuration describes.
    public static let modelTypes = ["dinov2", "dinov2_with_registers"]

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

    /// Reads and checks `config.json` at `url`.
    ///
    /// `model_type`, `hidden_size`, `num_hidden_layers` and `num_attention_heads` are required.
    /// The others default as in transformers: `mlp_ratio` 4, `hidden_act` `gelu`,
    /// `layer_norm_eps` 1e-6, `image_size` 224, `patch_size` 14, `num_channels` 3, `qkv_bias`
    /// true, `use_swiglu_ffn` false, `num_register_tokens` 4 (registers model only).
    public init(contentsOf url: URL) throws(VisionEncoderError) {
        let file = url.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .missingFile(path: file)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidConfig(file: file, key: nil, reason: "is not a JSON object")
        }
        func present(_ key: String) -> Any? {
            guard let raw = json[key], !(raw is NSNull) else { return nil }
            return raw
        }
        func integer(_ key: String, default value: Int? = nil, minimum: Int = 1) throws(VisionEncoderError) -> Int {
            guard let raw = present(key) else {
                guard let value else { throw .invalidConfig(file: file, key: key, reason: "is missing") }
                return value
            }
            guard let number = raw as? NSNumber,
                  let result = Int(exactly: number.doubleValue), result >= minimum
            else { throw .invalidConfig(file: file, key: key, reason: "must be an integer ≥ \(minimum)") }
            return result
        }
        func number(_ key: String, default value: Double) throws(VisionEncoderError) -> Double {
            guard let raw = present(key) else { return value }
            guard let number = raw as? NSNumber, number.doubleValue > 0,
                  number.doubleValue.isFinite
            else { throw .invalidConfig(file: file, key: key, reason: "must be a positive number") }
            return number.doubleValue
        }
        func flag(_ key: String, default value: Bool) throws(VisionEncoderError) -> Bool {
            guard let raw = present(key) else { return value }
            guard let flag = raw as? Bool else {
                throw .invalidConfig(file: file, key: key, reason: "must be true or false")
            }
            return flag
        }

        guard let modelType = present("model_type") as? String else {
            throw .invalidConfig(file: file, key: "model_type", reason: "is missing or not a string")
        }
        guard Self.modelTypes.contains(modelType) else {
            throw .unsupportedModelType(file: file, modelType: modelType, supported: Self.modelTypes)
        }
        let usesSwiGLU = try flag("use_swiglu_ffn", default: false)
        let activationName = present("hidden_act") as? String ?? "gelu"
        var activation = GELUForm.exact
        switch activationName {
        case "gelu": activation = .exact
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
        default:
            // A SwiGLU block applies SiLU whatever hidden_act says.
            if !usesSwiGLU { throw .unsupportedActivation(file: file, activation: activationName) }
        }
        let hasRegisters = modelType == "dinov2_with_registers"
        self.init(
            modelType: modelType,
            hiddenSize: try integer("hidden_size"),
            layerCount: try integer("num_hidden_layers", minimum: 0),
            attentionHeads: try integer("num_attention_heads"),
            mlpRatio: try number("mlp_ratio", default: 4),
            activation: activation,
            layerNormEpsilon: Float(try number("layer_norm_eps", default: 1e-6)),
            imageSize: try integer("image_size", default: 224),
            patchSize: try integer("patch_size", default: 14),
            channels: try integer("num_channels", default: 3),
            qkvBias: try flag("qkv_bias", default: true),
            usesSwiGLU: usesSwiGLU,
            registerCount: hasRegisters ? try integer("num_register_tokens", default: 4, minimum: 0) : 0)
        guard hiddenSize % attentionHeads == 0 else {
            throw .invalidConfig(
                file: file, key: "num_attention_heads",
                reason: "(\(attentionHeads)) does not divide hidden_size (\(hiddenSize))")
        }
        guard imageSize >= patchSize else {
            throw .invalidConfig(
                file: file, key: "image_size",
                reason: "(\(imageSize)) is smaller than patch_size (\(patchSize))")
        }
        guard feedForwardWidth > 0 else {
            throw .invalidConfig(file: file, key: "mlp_ratio", reason: "gives an empty feed-forward block")
        }
    }
}
