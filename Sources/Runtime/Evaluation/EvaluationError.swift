/// Why embeddings cannot be scored.
public struct EvaluationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the tensor or value.
    public let message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

extension EvaluationError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        .data
    }
}
