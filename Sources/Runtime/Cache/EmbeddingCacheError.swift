/// A problem with an embedding cache folder or one of its segment files.
public struct EmbeddingCacheError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is, for choosing an exit status.
    public enum Kind: Sendable {
        /// A segment or manifest is malformed (exit 65).
        case data
        /// The folder or a file cannot be read or written (exit 74).
        case io
    }

    /// The kind.
    public let kind: Kind
    /// What went wrong, naming the file and what to do.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension EmbeddingCacheError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        kind == .io ? .io : .data
    }
}

extension EmbeddingCacheError {
    /// What training and evaluation say when an item they need is not in a cache.
    public static func notCachedMessage(side: String, id: String, cache: String) -> String {
        "the \(side) embedding of '\(id)' is not in the cache '\(cache)'; run 'zoo embed' for that encoder and dataset first"
    }
}
