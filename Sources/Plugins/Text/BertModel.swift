import Foundation
import Runtime

/// A BERT encoder (transformers' `BertModel` without its pooler), run natively.
///
/// Embeddings are word + position + token type 0, positions numbered 0, 1, …, L−1 within each
/// sequence, followed by LayerNorm and the post-norm encoder layers.
public struct BertModel: TextTransformer {
    /// The configuration the weights were checked against.
    public let config: TransformerConfig
    private let backbone: TransformerBackbone

    /// Builds the model from `config` and `weights` (names with or without `bert.`).
    public init(config: TransformerConfig, weights: SafeTensorsFile) throws(TextEncoderError) {
        self.config = config
        backbone = try TransformerBackbone(
            weights: ModelWeights(file: weights, prefixes: ["bert."]), config: config)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    public init(folder: URL) throws(TextEncoderError) {
        let config = try TransformerConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let weights = try ModelWeights(
            url: folder.appendingPathComponent("model.safetensors"), prefixes: ["bert."])
        self.config = config
        backbone = try TransformerBackbone(weights: weights, config: config)
    }

    /// One position per row of the position table.
    public var maxSequenceLength: Int { config.maxPositionEmbeddings }

    /// Runs the encoder on variable-length sequences; see ``TextTransformer/forward(ids:)``.
    public func forward(ids: [[Int32]]) throws(TextEncoderError) -> PackedHiddenStates {
        try backbone.forward(ids: ids, maxLength: maxSequenceLength) { sequence in
            (0..<Int32(sequence.count)).map { $0 }
        }
    }
}
