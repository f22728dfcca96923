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
    /// `relative_attention_num_buckets` (MPNet; 32 when absent).
    public var relativeAttentionBuckets: Int = 32

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

    /// config.json as stored; property names are its keys in camelCase.
    struct Stored: Decodable {
        var modelType: String?
        var hiddenSize: Int
        var numHiddenLayers: Int
        var numAttentionHeads: Int
        var intermediateSize: Int
        var hiddenAct: String?
        var layerNormEps: Double?
        var maxPositionEmbeddings: Int
        var vocabSize: Int
        var typeVocabSize: Int?
        var padTokenId: Int?
        var positionEmbeddingType: String?
        var relativeAttentionNumBuckets: Int?
    }

    /// Reads and checks `config.json` at `url`.
    ///
    /// `hidden_act` defaults to `gelu`, `layer_norm_eps` to 1e-12, `type_vocab_size` to 2 and
    /// `pad_token_id` to `defaultPadTokenID` (the architecture's), as in transformers; the sizes
    /// are required. `position_embedding_type`, when present, must be `absolute`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file and key.
    public init(contentsOf url: URL, defaultPadTokenID: Int = 0) throws(ModelLoadError) {
        let stored = try ConfigFile.decode(Stored.self, from: url)
        let activationName = stored.hiddenAct ?? "gelu"
        guard let activation = GELUForm(huggingFaceName: activationName) else {
            throw .unsupportedActivation(file: url.path, activation: activationName)
        }
        if let positions = stored.positionEmbeddingType {
            try ConfigFile.require(
                positions == "absolute", file: url, key: "position_embedding_type",
                "is '\(positions)'; only 'absolute' position embeddings are supported")
        }
        let epsilon = stored.layerNormEps ?? 1e-12
        try ConfigFile.require(epsilon > 0, file: url, key: "layer_norm_eps", "must be a positive number")
        self.init(
            modelType: stored.modelType ?? "bert",
            hiddenSize: stored.hiddenSize,
            layerCount: stored.numHiddenLayers,
            attentionHeads: stored.numAttentionHeads,
            intermediateSize: stored.intermediateSize,
            activation: activation,
            layerNormEpsilon: Float(epsilon),
            maxPositionEmbeddings: stored.maxPositionEmbeddings,
            vocabularySize: stored.vocabSize,
            typeVocabularySize: stored.typeVocabSize ?? 2,
            padTokenID: stored.padTokenId ?? defaultPadTokenID)
        relativeAttentionBuckets = stored.relativeAttentionNumBuckets ?? 32
        for (key, value, minimum) in [
            ("hidden_size", hiddenSize, 1), ("num_hidden_layers", layerCount, 0), ("num_attention_heads", attentionHeads, 1),
            ("intermediate_size", intermediateSize, 1), ("max_position_embeddings", maxPositionEmbeddings, 1),
            ("vocab_size", vocabularySize, 1), ("type_vocab_size", typeVocabularySize, 1), ("pad_token_id", padTokenID, 0),
            ("relative_attention_num_buckets", relativeAttentionBuckets, 4),
        ] {
            try ConfigFile.require(value >= minimum, file: url, key: key, "must be an integer ≥ \(minimum)")
        }
        try ConfigFile.require(
            hiddenSize % attentionHeads == 0, file: url, key: "num_attention_heads",
            "(\(attentionHeads)) does not divide hidden_size (\(hiddenSize))")
    }
}
