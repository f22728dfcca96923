import Foundation
import Runtime

/// One batch of encoder outputs, row by row in input order: what `zoo encode` prints or writes.
public struct EncodedRows: Sendable {
    /// Each row's id (a text's id, an image's path, or the 1-based row of a pixels tensor).
    public let ids: [String]
    /// Width of every embedding and token state.
    public let width: Int
    /// The pooled embeddings `[ids.count, width]`.
    public let embeddings: Tensor
    /// The token states `[ids.count, T, tokenWidth]`, T the longest row in the batch; rows past a row's
    /// length are zero. nil when token states were not asked for.
    public let tokens: Tensor?
    /// Each row's token count (special tokens included for text; every row the same for images).
    public let lengths: [Int]

    /// Wraps one batch; `tokens`, when given, is `[ids.count, T, width]` with every length ≤ T.
    public init(ids: [String], embeddings: Tensor, tokens: Tensor?, lengths: [Int]) {
        precondition(embeddings.rank == 2 && embeddings.shape[0] == ids.count && lengths.count == ids.count)
        self.ids = ids
        self.width = embeddings.shape[1]
        self.embeddings = embeddings
        self.tokens = tokens
        self.lengths = lengths
    }

    /// The rows of a text encoding.
    public init(_ encoding: TextEncoding, ids: [String], withTokens: Bool) {
        self.init(ids: ids, embeddings: encoding.pooled, tokens: withTokens ? encoding.tokens : nil, lengths: encoding.lengths)
    }

    /// The rows of a vision encoding (every row has all its tokens).
    public init(_ encoding: VisionEncoding, ids: [String], withTokens: Bool) {
        let count = encoding.tokens.rank == 3 ? encoding.tokens.shape[1] : 0
        self.init(
            ids: ids, embeddings: encoding.pooled, tokens: withTokens ? encoding.tokens : nil,
            lengths: Array(repeating: count, count: ids.count))
    }

    /// The rows as the vision encoding they came from (tokens, when kept, and embeddings).
    var visionEncoding: VisionEncoding {
        VisionEncoding(tokens: tokens ?? Tensor(shape: [count, 0, width], scalars: []), pooled: embeddings)
    }

    /// The number of rows.
    public var count: Int { ids.count }

    /// Row `row`'s pooled embedding.
    public func embedding(_ row: Int) -> ArraySlice<Float> {
        embeddings.scalars[row * width..<(row + 1) * width]
    }

    /// Row `row`'s real token states, `lengths[row] × tokenWidth` values (the tokens' own width);
    /// empty without tokens.
    public func tokenStates(_ row: Int) -> ArraySlice<Float> {
        guard let tokens, tokens.rank == 3 else { return [] }
        let (padded, tokenWidth) = (tokens.shape[1], tokens.shape[2])
        return tokens.scalars[row * padded * tokenWidth..<(row * padded + lengths[row]) * tokenWidth]
    }
}
