#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shell-style pattern (`*`, `?`, `[abc]`) matched case-insensitively, as timm's
/// `list_models('*vit*')` does.
public struct Glob: Sendable {
    /// The pattern text.
    public let pattern: String

    /// Creates a glob from `pattern`.
    public init(_ pattern: String) { self.pattern = pattern }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        fnmatch(pattern.lowercased(), name.lowercased(), 0) == 0
    }
}
