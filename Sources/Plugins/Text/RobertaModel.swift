import Foundation
import Runtime

/// A RoBERTa encoder (transformers' `RobertaModel` without its pooler), run natively.
///
/// The layers are BERT's; only positions differ. As transformers'
/// `create_position_ids_from_input_ids`, a token's position is `pad_token_id` plus the number of
/// non-padding tokens up to and including it, and a padding token's is `pad_token_id` itself,
/// so a sequence of real tokens is numbered `pad + 1, pad + 2, …`. Token type is 0.
public struct RobertaModel: TextTransformer {
    /// The configuration the weights were checked against.
    public let config: TransformerConfig
    private let backbone: TransformerBackbone

    /// Builds the model from `config` and `weights` (names with or without `roberta.`).
    public init(config: TransformerConfig, weights: SafeTensorsFile) throws(TextEncoderError) {
        self.config = config
        backbone = try TransformerBackbone(
            weights: ModelWeights(file: weights, prefixes: ["roberta."]), config: config)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    public init(folder: URL) throws(TextEncoderError) {
        let config = try TransformerConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let weights = try ModelWeights(
            url: folder.appendingPathComponent("model.safetensors"), prefixes: ["roberta."])
        self.config = config
        backbone = try TransformerBackbone(weights: weights, config: config)
    }

    /// Positions run from `pad_token_id + 1`, so the table holds that many fewer tokens.
    public var maxSequenceLength: Int { max(0, config.maxPositionEmbeddings - config.padTokenID - 1) }

    /// Runs the encoder on variable-length sequences; see ``TextTransformer/forward(ids:)``.
    public func forward(ids: [[Int32]]) throws(TextEncoderError) -> PackedHiddenStates {
        let pad = Int32(config.padTokenID)
        return try backbone.forward(ids: ids, maxLength: maxSequenceLength) { sequence in
            var real: Int32 = 0
            return sequence.map { id in
                guard id != pad else { return pad }
                real += 1
                return pad + real
            }
        }
    }
}
