/// Why a dataset could not be opened or read; ``message`` names the file (and line, shard or
/// sample) concerned.
public struct DatasetError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The category, which callers map to an exit status (sysexits: 64, 65, 66, 74).
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The spec itself is wrong (relative path, unknown split, bad brace pattern): `EX_USAGE`.
        case usage
        /// The data is malformed (bad JSON, corrupt tar, wrong magic, missing image): `EX_DATAERR`.
        case data
        /// The path does not exist or holds no samples: `EX_NOINPUT`.
        case noInput
        /// A file exists but could not be read: `EX_IOERR`.
        case io
    }

    /// The category.
    public var kind: Kind
    /// A one-line explanation.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension DatasetError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch kind {
        case .usage: return .usage
        case .data: return .data
        case .noInput: return .noInput
        case .io: return .io
        }
    }
}
