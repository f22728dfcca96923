/// Why an index file cannot be opened or searched.
public struct VectorIndexError: ReportableError, Equatable {
    /// The file.
    public let path: String
    /// What is wrong and what to do.
    public let reason: String
    public let exitStatus: ExitStatus

    /// An error about `path`.
    public init(_ status: ExitStatus = .data, path: String, _ reason: String) {
        self.exitStatus = status
        self.path = path
        self.reason = reason
    }

    public var description: String { "index file '\(path)': \(reason)" }
}
