import Foundation

/// What a text encoder returns for a batch of texts.
public struct TextEncoding: Sendable {
    /// Token states [B, L, D], L the longest sequence in the batch; rows past a sequence's length are zero.
    public let tokens: Tensor
    /// Attention mask [B × L], 1 for real tokens.
    public let mask: [UInt8]
    /// Real tokens per sequence (special tokens included).
    public let lengths: [Int]
    /// The sentence embedding [B, D], pooled (and normalised) as the model's modules say.
    public let pooled: Tensor

    /// Wraps the four outputs.
    public init(tokens: Tensor, mask: [UInt8], lengths: [Int], pooled: Tensor) {
        self.tokens = tokens
        self.mask = mask
        self.lengths = lengths
        self.pooled = pooled
    }
}

/// A loaded sentence encoder: tokenizer and model together.
public protocol TextEncoder: Sendable {
    /// Width of the pooled embedding.
    var width: Int { get }
    /// Width of each token state: ``width`` for most models; a CLIP text tower's pooled embedding
    /// is its projection into the joint space, narrower or wider than its token states.
    var tokenWidth: Int { get }
    /// Longest token sequence, special tokens included; longer texts are truncated.
    var maxLength: Int { get }
    /// Token ids of `text`, with special tokens, truncated to `maxLength`.
    func tokenize(_ text: String) -> [Int32]
    /// Runs the model on already tokenized sequences.
    func encode(ids: [[Int32]]) throws -> TextEncoding
    /// The sentence embeddings alone, `[B, D]`: `encode(ids:).pooled`, without assembling the
    /// padded token states (the default implementation does assemble them).
    func pooledEmbeddings(ids: [[Int32]]) throws -> Tensor
    /// The sentence embeddings of `ids` taken `batchSize` sequences at a time, `[N, D]` in the
    /// order of `ids`: what ``pooledEmbeddings(ids:)`` gives for each batch in turn (the default
    /// implementation makes those calls). Implementations may overlap the batches' work.
    func pooledEmbeddings(ids: [[Int32]], batchSize: Int) throws -> Tensor
}

extension TextEncoder {
    public var tokenWidth: Int { width }

    /// Calls ``encode(ids:)`` and keeps its pooled embeddings.
    public func pooledEmbeddings(ids: [[Int32]]) throws -> Tensor {
        try encode(ids: ids).pooled
    }

    /// Calls ``pooledEmbeddings(ids:)`` on each batch of `batchSize` (at least 1) sequences and
    /// stacks the results.
    public func pooledEmbeddings(ids: [[Int32]], batchSize: Int) throws -> Tensor {
        let size = max(1, batchSize)
        let parts = try stride(from: 0, to: ids.count, by: size).map { start in
            try pooledEmbeddings(ids: Array(ids[start..<min(start + size, ids.count)]))
        }
        return Tensor.stackingRows(parts, rows: ids.count, width: width)
    }

    /// Tokenizes and encodes `texts`.
    public func encode(_ texts: [String]) throws -> TextEncoding {
        try encode(ids: texts.map(tokenize))
    }
}

/// Backends that encode text provide a loader.
public protocol TextEncoderBackend: EncoderBackend {
    /// Loads the encoder in `folder` (a sentence-transformers layout).
    func loadTextEncoder(folder: URL) throws -> any TextEncoder
}
