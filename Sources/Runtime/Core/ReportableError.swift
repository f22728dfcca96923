/// The `sysexits(3)` status a failure ends the `zoo` process with.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command line is wrong (EX_USAGE).
    case usage = 64
    /// Input data is malformed or conflicts with the catalog (EX_DATAERR).
    case data = 65
    /// A named file, folder or catalog entry does not exist (EX_NOINPUT).
    case noInput = 66
    /// A service zoo needs cannot be used: a library, a plugin, a peer (EX_UNAVAILABLE).
    case unavailable = 69
    /// A bug or an unexpected state inside zoo (EX_SOFTWARE).
    case software = 70
    /// Reading or writing the file system failed (EX_IOERR).
    case io = 74
}

/// A failure zoo reports to its user as it is: one sentence naming the file, field or value at
/// fault and what to do, and the exit status it ends the process with.
///
/// Every error type of zoo's libraries conforms, so a caller reports any of them with one
/// `catch let error as any ReportableError` and never re-wraps one into another to carry the
/// status (swift-argument-parser's `Examples/errors` does the same with `ExitCode`).
public protocol ReportableError: Error, CustomStringConvertible, Sendable {
    /// The status the `zoo` process exits with when this error ends it.
    var exitStatus: ExitStatus { get }
}
