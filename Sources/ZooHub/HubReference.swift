import Foundation

/// A model repository on the Hugging Face Hub and a revision of it: `hf:ORG/REPO[@REVISION]`.
/// The revision is a branch, a tag or a commit; `main` when left out.
public struct HubReference: Sendable, Hashable, CustomStringConvertible {
    /// `ORG/REPO` (or a bare `REPO` for the Hub's few unscoped models).
    public let repository: String
    /// A branch, a tag, `refs/pr/N` or a 40-hex commit.
    public let revision: String

    /// The prefix that marks a Hub reference on the command line.
    public static let scheme = "hf:"

    public init(repository: String, revision: String = "main") throws {
        try Self.checkRepository(repository)
        try Self.checkRevision(revision)
        self.repository = repository
        self.revision = revision
    }

    /// Parses `hf:ORG/REPO[@REVISION]`.
    ///
    /// - Throws: ``HubError`` 64 naming the part that is malformed.
    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.scheme) else {
            throw HubError(.usage, "'\(text)' is not a Hub reference; write hf:ORG/REPO or hf:ORG/REPO@REVISION")
        }
        let body = text.dropFirst(Self.scheme.count)
        if let at = body.firstIndex(of: "@") {
            try self.init(repository: String(body[..<at]), revision: String(body[body.index(after: at)...]))
        } else {
            try self.init(repository: String(body))
        }
    }

    /// Whether `text` is meant as a Hub reference (starts with `hf:`).
    public static func isReference(_ text: String) -> Bool { text.hasPrefix(scheme) }

    /// `true` when the revision is a full commit id.
    public var revisionIsCommit: Bool { Self.isCommit(revision) }

    /// `hf:ORG/REPO@REVISION`.
    public var description: String { "hf:\(repository)@\(revision)" }

    /// The same repository at `commit`.
    public func at(_ commit: String) -> HubReference {
        // A commit id always passes the checks.
        (try? HubReference(repository: repository, revision: commit)) ?? self
    }

    /// 40 lowercase hexadecimal digits.
    public static func isCommit(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func checkRepository(_ repository: String) throws {
        let parts = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ isName($0) }), repository.utf8.count <= 96 else {
            throw HubError(.usage, "'\(repository)' is not a Hub repository id; write ORG/REPO with letters, digits, '-', '_' and '.' (e.g. sentence-transformers/all-MiniLM-L6-v2)")
        }
    }

    private static func isName(_ part: Substring) -> Bool {
        guard let first = part.utf8.first, isAlphanumeric(first), !part.hasSuffix("."), !part.contains("..") else { return false }
        return part.utf8.allSatisfy { isAlphanumeric($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    private static func checkRevision(_ revision: String) throws {
        let bytes = Array(revision.utf8)
        let allowed = bytes.allSatisfy { isAlphanumeric($0) || $0 == 45 || $0 == 95 || $0 == 46 || $0 == 47 }
        guard !bytes.isEmpty, bytes.count <= 255, allowed, !revision.hasPrefix("/"), !revision.hasSuffix("/"),
              !revision.contains(".."), !revision.contains("//") else {
            throw HubError(.usage, "'\(revision)' is not a revision; give a branch, a tag or a commit after '@' (letters, digits, '-', '_', '.', '/')")
        }
    }
}
