/// Why a curation input cannot be used; the message names the file and line or the value.
public struct CurationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The category, which callers map to an exit status.
    public enum Kind: String, Sendable, Equatable {
        /// Malformed input (a bad concept line, mismatched widths): `EX_DATAERR`.
        case data
        /// A file that does not exist or holds nothing: `EX_NOINPUT`.
        case noInput
    }

    /// The category.
    public let kind: Kind
    /// A one-line explanation.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension CurationError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        kind == .noInput ? .noInput : .data
    }
}
