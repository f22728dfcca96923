import Runtime

/// A BERT-family text transformer that maps token ids to last hidden states natively: the
/// shared backbone, numbering positions as its architecture says.
public struct TextTransformer: Sendable {
    /// The configuration the weights were checked against.
    public let config: TransformerConfig
    /// How tokens are numbered for the position table.
    public let positions: PositionScheme
    private let backbone: TransformerBackbone

    /// Reads every backbone tensor from `weights`, checking shapes against `config`.
    ///
    /// - Throws: ``ModelLoadError`` naming the tensor at fault.
    public init(
        config: TransformerConfig, positions: PositionScheme, weights: WeightReader, layout: TransformerLayout = .bert
    ) throws(ModelLoadError) {
        self.config = config
        self.positions = positions
        backbone = try TransformerBackbone(weights: weights, config: config, layout: layout)
    }

    /// The most tokens one sequence may have.
    public var maxSequenceLength: Int {
        positions.maxSequenceLength(tableRows: config.maxPositionEmbeddings, padTokenID: config.padTokenID)
    }

    /// Runs the model on a batch of variable-length sequences of token ids (no padding), with
    /// token type 0 everywhere and an attention mask of all ones within each sequence.
    ///
    /// - Throws: ``TextEncoderError/emptySequence(index:)``,
    ///   ``TextEncoderError/sequenceTooLong(index:length:maximum:)`` or
    ///   ``TextEncoderError/tokenOutOfRange(index:position:id:vocabularySize:)``.
    public func forward(ids: [[Int32]]) throws(TextEncoderError) -> PackedHiddenStates {
        let pad = config.padTokenID
        return try backbone.forward(ids: ids, maxLength: maxSequenceLength) { positions.ids(for: $0, padTokenID: pad) }
    }
}
