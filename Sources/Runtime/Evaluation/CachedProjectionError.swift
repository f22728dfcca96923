/// Why cached embeddings cannot be projected for scoring.
public enum CachedProjectionError: ReportableError, Equatable {
    /// An item is not in the embedding cache.
    case notCached(side: String, id: String, cache: String)
    /// The cache does not fit the projector (widths, token counts, missing token states).
    case mismatch(String)

    public var description: String {
        switch self {
        case .notCached(let side, let id, let cache):
            return EmbeddingCacheError.notCachedMessage(side: side, id: id, cache: cache)
        case .mismatch(let detail):
            return detail
        }
    }

    /// A missing item is 66, a cache that does not fit 65.
    public var exitStatus: ExitStatus {
        switch self {
        case .notCached: return .noInput
        case .mismatch: return .data
        }
    }
}
