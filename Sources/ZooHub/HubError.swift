import ZooCore

/// A failure to resolve or fetch a Hugging Face Hub repository, with the exit status it ends
/// `zoo` with: 64 for a malformed reference, 66 for a repository, revision or file that does
/// not exist (or is not in the cache offline), 69 for a Hub that cannot be reached or refuses
/// access, 65 for a download whose size or hash does not match, 74 for the local cache.
public struct HubError: ReportableError, Equatable {
    public let exitStatus: ExitStatus
    public let description: String

    public init(_ status: ExitStatus, _ message: String) {
        self.exitStatus = status
        self.description = message
    }
}
