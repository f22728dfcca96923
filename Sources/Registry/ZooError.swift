import Foundation
@_exported import ZooCore

/// A failure that zoo reports to its user: one clear sentence of what went wrong, where,
/// and what to do, with the `sysexits(3)` status the CLI exits with.
public struct ZooError: ReportableError, Equatable {
    /// The class of failure; it decides the exit status.
    public typealias Kind = ExitStatus

    /// The class of failure.
    public let kind: Kind
    /// The message shown to the user.
    public let message: String

    /// Creates an error of `kind` with a user-facing `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The process exit status for this error.
    public var exitCode: Int32 { kind.rawValue }

    public var exitStatus: ExitStatus { kind }

    public var description: String { message }
}

extension ZooError {
    /// Wraps a POSIX failure of `operation` on `path` as an I/O error, with what to check.
    static func posix(_ operation: String, _ path: String, errno code: Int32 = errno) -> ZooError {
        let reason = String(cString: strerror(code))
        let advice: String
        switch code {
        case ENOSPC, EDQUOT, EFBIG: advice = "free some space (or raise the quota or file-size limit) and run the command again"
        case EACCES, EPERM, EROFS: advice = "check the permissions of the zoo home (--home or ZOO_HOME)"
        default: advice = "check the zoo home (--home or ZOO_HOME) and its disk"
        }
        return ZooError(.io, "cannot \(operation) '\(path)': \(reason); \(advice)")
    }
}
