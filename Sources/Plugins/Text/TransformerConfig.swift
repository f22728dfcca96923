import Foundation
import Runtime

/// The fields of a Hugging Face BERT or RoBERTa `config.json` that the native forward pass uses.
public struct TransformerConfig: Sendable, Equatable {
    /// `model_type`, for example `bert` or `roberta`.
    public var modelType: String
    /// `hidden_size`: the width of every token state.
    public var hiddenSize: Int
    /// `num_hidden_layers`.
    public var layerCount: Int
    /// `num_attention_heads`; it divides ``hiddenSize``.
    public var attentionHeads: Int
    /// `intermediate_size`: the width of the feed-forward block.
    public var intermediateSize: Int
    /// `hidden_act`, mapped to a GELU form.
    public var activation: GELUForm
    /// `layer_norm_eps`.
    public var layerNormEpsilon: Float
    /// `max_position_embeddings`: rows of the position table.
    public var maxPositionEmbeddings: Int
    /// `vocab_size`: rows of the word table.
    public var vocabularySize: Int
    /// `type_vocab_size`: rows of the token-type table.
    public var typeVocabularySize: Int
    /// `pad_token_id`; RoBERTa numbers positions from it.
    public var padTokenID: Int

    /// The width of one attention head.
    public var headWidth: Int { hiddenSize / attentionHeads }

    /// Creates a configuration from its fields.
    public init(
        modelType: String, hiddenSize: Int, layerCount: Int, attentionHeads: Int,
        intermediateSize: Int, activation: GELUForm, layerNormEpsilon: Float,
        maxPositionEmbeddings: Int, vocabularySize: Int, typeVocabularySize: Int, padTokenID: Int
    ) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.attentionHeads = attentionHeads
        self.intermediateSize = intermediateSize
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.vocabularySize = vocabularySize
        self.typeVocabularySize = typeVocabularySize
        self.padTokenID = padTokenID
    }

    /// Reads and checks `config.json` at `url`.
    ///
    /// `hidden_act` defaults to `gelu`, `layer_norm_eps` to 1e-12, `type_vocab_size` to 2 and
    /// `pad_token_id` to 0 (1 for RoBERTa), as in transformers; the sizes are required.
    /// `position_embedding_type`, when present, must be `absolute`.
    public init(contentsOf url: URL) throws(TextEncoderError) {
        let file = url.path
        let json = try JSONObjectFile.read(url)
        func integer(_ key: String, default value: Int? = nil, minimum: Int = 1) throws(TextEncoderError) -> Int {
            guard let raw = json[key], !(raw is NSNull) else {
                guard let value else {
                    throw .invalidConfig(file: file, key: key, reason: "is missing")
                }
                return value
            }
            guard let number = raw as? NSNumber,
                  let result = Int(exactly: number.doubleValue), result >= minimum
            else { throw .invalidConfig(file: file, key: key, reason: "must be an integer ≥ \(minimum)") }
            return result
        }
        let modelType = json["model_type"] as? String ?? "bert"
        let activationName = json["hidden_act"] as? String ?? "gelu"
        let activation: GELUForm
        switch activationName {
        case "gelu": activation = .exact
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
        default: throw .unsupportedActivation(file: file, activation: activationName)
        }
        if let positions = json["position_embedding_type"] as? String, positions != "absolute" {
            throw .invalidConfig(
                file: file, key: "position_embedding_type",
                reason: "is '\(positions)'; only 'absolute' position embeddings are supported")
        }
        var epsilon = 1e-12
        if let raw = json["layer_norm_eps"] {
            guard let number = raw as? NSNumber, number.doubleValue > 0 else {
                throw .invalidConfig(file: file, key: "layer_norm_eps", reason: "must be a positive number")
            }
            epsilon = number.doubleValue
        }
        self.init(
            modelType: modelType,
            hiddenSize: try integer("hidden_size"),
            layerCount: try integer("num_hidden_layers", minimum: 0),
            attentionHeads: try integer("num_attention_heads"),
            intermediateSize: try integer("intermediate_size"),
            activation: activation,
            layerNormEpsilon: Float(epsilon),
            maxPositionEmbeddings: try integer("max_position_embeddings"),
            vocabularySize: try integer("vocab_size"),
            typeVocabularySize: try integer("type_vocab_size", default: 2),
            padTokenID: try integer("pad_token_id", default: modelType.contains("roberta") ? 1 : 0, minimum: 0))
        guard hiddenSize % attentionHeads == 0 else {
            throw .invalidConfig(
                file: file, key: "num_attention_heads",
                reason: "(\(attentionHeads)) does not divide hidden_size (\(hiddenSize))")
        }
    }
}

/// Reading small JSON files (config.json, modules.json) as dictionaries with precise errors.
enum JSONObjectFile {
    /// The top-level object of the JSON file at `url`.
    static func read(_ url: URL) throws(TextEncoderError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .missingFile(path: url.path)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .invalidConfig(file: url.path, key: nil, reason: "is not a JSON object")
        }
        return object
    }

    /// The top-level array of the JSON file at `url`.
    static func readArray(_ url: URL) throws(TextEncoderError) -> [Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .missingFile(path: url.path)
        }
        guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw .invalidConfig(file: url.path, key: nil, reason: "is not a JSON array")
        }
        return array
    }
}
