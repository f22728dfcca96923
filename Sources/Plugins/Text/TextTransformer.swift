import Runtime

/// A BERT-family text transformer that maps token ids to last hidden states natively.
public protocol TextTransformer: Sendable {
    /// The configuration the weights were checked against.
    var config: TransformerConfig { get }

    /// The most tokens one sequence may have.
    var maxSequenceLength: Int { get }

    /// Runs the model on a batch of variable-length sequences of token ids (no padding), with
    /// token type 0 everywhere and an attention mask of all ones within each sequence.
    ///
    /// - Throws: ``TextEncoderError/emptySequence(index:)``,
    ///   ``TextEncoderError/sequenceTooLong(index:length:maximum:)`` or
    ///   ``TextEncoderError/tokenOutOfRange(index:position:id:vocabularySize:)``.
    func forward(ids: [[Int32]]) throws(TextEncoderError) -> PackedHiddenStates
}
