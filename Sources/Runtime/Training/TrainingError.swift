/// Why training cannot start or had to stop.
public enum TrainingError: Error, Sendable, CustomStringConvertible {
    /// An item the run needs is not in an embedding cache.
    case notCached(side: String, id: String, cache: String)
    /// The cached inputs do not fit the projector (widths, token counts, missing tokens).
    case mismatch(String)
    /// The loss became NaN or infinite.
    case nonFinite(epoch: Int, step: Int, loss: Float)
    /// A checkpoint could not be read or written.
    case checkpoint(String)
    /// There is nothing to train on.
    case empty(String)

    public var description: String {
        switch self {
        case .notCached(let side, let id, let cache):
            return EmbeddingCacheError.notCachedMessage(side: side, id: id, cache: cache)
        case .mismatch(let detail):
            return detail
        case .nonFinite(let epoch, let step, let loss):
            return "the loss became \(loss) at epoch \(epoch + 1), step \(step); training stopped and the last good epoch checkpoint was kept (lower --lr or check the inputs)"
        case .checkpoint(let detail):
            return detail
        case .empty(let detail):
            return detail
        }
    }
}

extension TrainingError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch self {
        case .notCached, .empty: return .noInput
        case .checkpoint: return .io
        case .mismatch, .nonFinite: return .data
        }
    }
}
