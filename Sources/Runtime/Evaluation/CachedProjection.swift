/// Projects cached encoder outputs into the shared space with a trained projector, in blocks,
/// without dropout: the inputs of evaluation.
public enum CachedProjection {
    /// Items projected per block.
    public static let blockSize = 256

    /// The L2-normalised projected embeddings of the images `ids` of `cache`.
    ///
    /// - Throws: ``CachedProjectionError/notCached(side:id:cache:)`` for a missing id, or
    ///   ``CachedProjectionError/mismatch(_:)`` when the cache does not fit the projector.
    public static func images(_ ids: [String], cache: EmbeddingCache, projector: PairProjector) throws(CachedProjectionError) -> EmbeddingMatrix {
        let architecture = projector.architecture
        let usesTokens = architecture.input == .tokens
        let locations = try resolve(ids, side: "image", cache: cache, needsTokens: usesTokens)
        let width = usesTokens ? cache.layout.tokenWidth : cache.layout.pooledWidth
        guard width == architecture.visionWidth else {
            throw .mismatch("the image cache '\(cache.folder.path)' holds \(width)-wide embeddings but the projector reads \(architecture.visionWidth)")
        }
        let tokens = usesTokens ? (locations.first?.tokenCount ?? 1) : 1
        if usesTokens, let odd = locations.firstIndex(where: { $0.tokenCount != tokens }) {
            throw .mismatch("image '\(ids[odd])' has \(locations[odd].tokenCount) cached tokens but others \(tokens); a token projector needs one image size")
        }
        var output: [Float] = []
        output.reserveCapacity(ids.count * architecture.outputWidth)
        for first in stride(from: 0, to: ids.count, by: blockSize) {
            let block = locations[first..<min(first + blockSize, ids.count)]
            let projected = usesTokens
                ? projector.embedVision(tokens: cache.gatherTokens(block).reshaped([block.count, tokens, width]))
                : projector.embedVision(pooled: cache.gatherPooled(block))
            output += projected.scalars
        }
        return EmbeddingMatrix(values: output, rows: ids.count, width: architecture.outputWidth)
    }

    /// The L2-normalised projected embeddings of `texts` (the text cache is keyed by text).
    public static func texts(_ texts: [String], cache: EmbeddingCache, projector: PairProjector) throws(CachedProjectionError) -> EmbeddingMatrix {
        let architecture = projector.architecture
        let usesTokens = architecture.input == .tokens
        let locations = try resolve(texts, side: "text", cache: cache, needsTokens: usesTokens)
        let width = usesTokens ? cache.layout.tokenWidth : cache.layout.pooledWidth
        guard width == architecture.textWidth else {
            throw .mismatch("the text cache '\(cache.folder.path)' holds \(width)-wide embeddings but the projector reads \(architecture.textWidth)")
        }
        var output: [Float] = []
        output.reserveCapacity(texts.count * architecture.outputWidth)
        for first in stride(from: 0, to: texts.count, by: blockSize) {
            let block = locations[first..<min(first + blockSize, texts.count)]
            let projected = usesTokens
                ? projector.embedText(tokens: cache.gatherTokens(block), lengths: block.map(\.tokenCount))
                : projector.embedText(pooled: cache.gatherPooled(block))
            output += projected.scalars
        }
        return EmbeddingMatrix(values: output, rows: texts.count, width: architecture.outputWidth)
    }

    private static func resolve(_ ids: [String], side: String, cache: EmbeddingCache, needsTokens: Bool) throws(CachedProjectionError) -> [EmbeddingCache.Location] {
        if needsTokens && !cache.layout.tokens {
            throw .mismatch("the \(side) cache '\(cache.folder.path)' keeps no token states; a token projector needs 'zoo embed --tokens'")
        }
        var locations: [EmbeddingCache.Location] = []
        locations.reserveCapacity(ids.count)
        for id in ids {
            guard let location = cache.location(of: id) else { throw .notCached(side: side, id: id, cache: cache.folder.path) }
            locations.append(location)
        }
        return locations
    }
}
