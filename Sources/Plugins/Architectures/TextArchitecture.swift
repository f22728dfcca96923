import Foundation
import Runtime

/// A text architecture zoo runs natively: a BERT-family encoder described by what sets it apart.
///
/// An architecture is one file with one value conforming to this protocol, listed once in
/// ``BuiltinArchitectures/all``; being an ``EncoderBackend`` it is what `zoo encoder add` picks
/// by `model_type` and what the catalog stores by ``EncoderBackend/id``. The shared parts come
/// from the protocol: config.json is read as ``TransformerConfig``, the weights through a
/// ``WeightReader`` under ``weightRoots``, the layers are ``TransformerBackbone``'s, the tokenizer
/// is the folder's Hugging Face tokenizer (WordPiece, byte-level BPE or Unigram, `tokenizer.json` or the
/// legacy files) truncated to ``maxSequenceLength(config:)``, and pooling and normalisation
/// follow the folder's `modules.json` (``defaultPooling`` without one).
public protocol TextArchitecture: TextEncoderBackend {
    /// Roots a task model puts before the backbone's tensor names, for example `["bert."]`.
    var weightRoots: [String] { get }
    /// How each token's row of the position table is chosen.
    var positions: PositionScheme { get }
    /// `pad_token_id` when config.json leaves it out.
    var defaultPadTokenID: Int { get }
    /// How token states become one embedding when the folder has no `modules.json`.
    var defaultPooling: PoolingMode { get }
    /// Where the layers' tensors are and which optional parts the model has (BERT's by default).
    var layout: TransformerLayout { get }
}

extension TextArchitecture {
    public var modality: Modality { .text }
    public var defaultPooling: PoolingMode { .mean }
    public var layout: TransformerLayout { .bert }

    /// The most tokens one sequence may have: the rows of the position table that
    /// ``positions`` can reach.
    public func maxSequenceLength(config: TransformerConfig) -> Int {
        positions.maxSequenceLength(tableRows: config.maxPositionEmbeddings, padTokenID: config.padTokenID)
    }

    /// Loads the whole encoder, so a folder with a missing or misshapen weight, or a tokenizer
    /// zoo cannot read, is refused at registration, naming the tensor or file.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let encoder = try NativeSentenceEncoder(folder: folder, architecture: self)
        return CheckpointInspection(pooledWidth: encoder.width, tokenWidth: encoder.width)
    }

    public func loadTextEncoder(folder: URL) throws -> any TextEncoder {
        try NativeSentenceEncoder(folder: folder, architecture: self)
    }
}

/// How a text architecture numbers the tokens of a sequence for its position table.
public enum PositionScheme: Sendable, Equatable {
    /// `0, 1, …, L−1` (BERT).
    case fromZero
    /// After the padding id, as transformers' `create_position_ids_from_input_ids`: a token's
    /// position is `pad_token_id` plus the number of non-padding tokens up to and including it,
    /// a padding token's is `pad_token_id` (RoBERTa).
    case afterPadding

    /// The position of each token of `sequence`.
    public func ids(for sequence: [Int32], padTokenID: Int) -> [Int32] {
        switch self {
        case .fromZero:
            return (0..<Int32(sequence.count)).map { $0 }
        case .afterPadding:
            let pad = Int32(padTokenID)
            var real: Int32 = 0
            return sequence.map { id in
                guard id != pad else { return pad }
                real += 1
                return pad + real
            }
        }
    }

    /// The longest sequence a table of `tableRows` positions numbers.
    public func maxSequenceLength(tableRows: Int, padTokenID: Int) -> Int {
        switch self {
        case .fromZero: return tableRows
        case .afterPadding: return max(0, tableRows - padTokenID - 1)
        }
    }
}
