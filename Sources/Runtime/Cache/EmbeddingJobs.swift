import Foundation

/// Progress of an embedding run, for progress bars.
public struct EmbeddingProgress: Sendable {
    /// Items encoded by this run.
    public var encoded: Int
    /// Items read from the source so far (encoded, already cached, other shards, failed).
    public var seen: Int
    /// Items skipped as bad so far.
    public var failed: Int
    /// Seconds since the run started.
    public var seconds: Double
}

/// What an embedding run did.
public struct EmbeddingOutcome: Sendable {
    /// Items encoded (forward passes) by this run.
    public var encoded: Int
    /// Items read from the source.
    public var seen: Int
    /// Bad items skipped, with the reason.
    public var failures: [(id: String, reason: String)]
    /// Wall time.
    public var seconds: Double
}

/// Runs encoders over inputs and appends their outputs to an embedding cache.
public enum EmbeddingJobs {
    /// Encodes every batch `loader` produces with `encoder` and appends pooled outputs (and
    /// token states, when the writer's layout keeps them) under each item's id.
    public static func embedImages(
        loader: DatasetImageLoader, encoder: any VisionEncoder, writer: EmbeddingCacheWriter,
        progress: (EmbeddingProgress) -> Void = { _ in }
    ) throws -> EmbeddingOutcome {
        let start = Date()
        var outcome = EmbeddingOutcome(encoded: 0, seen: 0, failures: [], seconds: 0)
        while let batch = try loader.next() {
            outcome.seen = batch.itemsSeen
            outcome.failures += batch.failures.map { ($0.id, $0.error.description) }
            if !batch.ids.isEmpty {
                let encoding = try encoder.encode(pixels: batch.pixels)
                try append(ids: batch.ids, pooled: encoding.pooled, tokens: encoding.tokens, lengths: nil, writer: writer)
                outcome.encoded += batch.ids.count
            }
            progress(EmbeddingProgress(encoded: outcome.encoded, seen: outcome.seen, failed: outcome.failures.count, seconds: Date().timeIntervalSince(start)))
        }
        try writer.finish()
        outcome.seconds = Date().timeIntervalSince(start)
        return outcome
    }

    /// Encodes `texts` (their own ids in the cache) in batches of similar length and appends
    /// pooled outputs (and the real tokens' states, when kept).
    public static func embedTexts(
        _ texts: [String], encoder: any TextEncoder, writer: EmbeddingCacheWriter, batchSize: Int,
        progress: (EmbeddingProgress) -> Void = { _ in }
    ) throws -> EmbeddingOutcome {
        let start = Date()
        let tokenized = texts.map { encoder.tokenize($0) }
        // Similar lengths together: less padding, faster batches.
        let order = texts.indices.sorted { (tokenized[$0].count, $0) < (tokenized[$1].count, $1) }
        var encoded = 0
        for first in stride(from: 0, to: order.count, by: batchSize) {
            let chunk = Array(order[first..<min(first + batchSize, order.count)])
            let encoding = try encoder.encode(ids: chunk.map { tokenized[$0] })
            try append(ids: chunk.map { texts[$0] }, pooled: encoding.pooled, tokens: encoding.tokens, lengths: encoding.lengths, writer: writer)
            encoded += chunk.count
            progress(EmbeddingProgress(encoded: encoded, seen: encoded, failed: 0, seconds: Date().timeIntervalSince(start)))
        }
        try writer.finish()
        return EmbeddingOutcome(encoded: encoded, seen: texts.count, failures: [], seconds: Date().timeIntervalSince(start))
    }

    /// Appends a batch: row `i` of `pooled` `[N, D]`, and of `tokens` `[N, L, Dt]` its first
    /// `lengths[i]` rows (all L when `lengths` is nil).
    private static func append(ids: [String], pooled: Tensor, tokens: Tensor, lengths: [Int]?, writer: EmbeddingCacheWriter) throws(EmbeddingCacheError) {
        let width = pooled.dimension(1)
        let keepsTokens = writer.layout.tokens
        let tokenRows = keepsTokens ? tokens.dimension(1) : 0
        let tokenWidth = keepsTokens ? tokens.dimension(2) : 0
        guard width == writer.layout.pooledWidth, !keepsTokens || tokenWidth == writer.layout.tokenWidth else {
            throw EmbeddingCacheError(.data, "the encoder's outputs (pooled \(width), tokens \(tokenWidth)) do not fit the cache layout \(writer.layout)")
        }
        try pooled.withUnsafeBufferPointer { (pooledValues) throws(EmbeddingCacheError) in
            try tokens.withUnsafeBufferPointer { (tokenValues) throws(EmbeddingCacheError) in
                for (row, id) in ids.enumerated() {
                    let vector = UnsafeBufferPointer(rebasing: pooledValues[(row * width)..<((row + 1) * width)])
                    if keepsTokens {
                        let count = lengths?[row] ?? tokenRows
                        let start = row * tokenRows * tokenWidth
                        let states = UnsafeBufferPointer(rebasing: tokenValues[start..<(start + count * tokenWidth)])
                        try writer.append(id: id, pooled: vector, tokens: states)
                    } else {
                        try writer.append(id: id, pooled: vector)
                    }
                }
            }
        }
    }
}
