import Runtime

/// Why a loaded text encoder refused a batch of token ids (loading fails with
/// ``ModelLoadError``).
public enum TextEncoderError: ReportableError, Equatable {
    /// A sequence in the batch has no tokens.
    case emptySequence(index: Int)
    /// A sequence is longer than the position embeddings allow.
    case sequenceTooLong(index: Int, length: Int, maximum: Int)
    /// A token id lies outside the vocabulary.
    case tokenOutOfRange(index: Int, position: Int, id: Int32, vocabularySize: Int)

    /// A one-line explanation that names the sequence and token concerned.
    public var description: String {
        switch self {
        case .emptySequence(let index):
            return "sequence \(index) has no tokens"
        case .sequenceTooLong(let index, let length, let maximum):
            return "sequence \(index) has \(length) tokens; the model takes at most \(maximum)"
        case .tokenOutOfRange(let index, let position, let id, let vocabularySize):
            return "sequence \(index), position \(position): token id \(id) is outside the vocabulary of \(vocabularySize)"
        }
    }

    /// Input the model cannot take is bad data.
    public var exitStatus: ExitStatus { .data }
}
