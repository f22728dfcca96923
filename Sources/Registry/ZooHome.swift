import Foundation

/// The folder that holds one zoo: the catalog `zoo.sqlite` and the checkpoint store `checkpoints/`.
///
/// Resolution order: an explicit `--home`, then `$ZOO_HOME`, then the current directory.
public struct ZooHome: Sendable {
    /// Absolute URL of the home folder.
    public let url: URL

    /// The catalog file.
    public var catalogURL: URL { url.appendingPathComponent("zoo.sqlite") }
    /// The content-addressed checkpoint store.
    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints") }
    /// Embedding caches, one folder per encoder, preprocessing and input set.
    public var embeddingCacheURL: URL { url.appendingPathComponent("cache/embeddings") }
    /// Training runs: epoch checkpoints and settings, one folder per pair and tag.
    public var runsURL: URL { url.appendingPathComponent("runs") }

    /// Uses `url` as the home without touching the file system.
    public init(url: URL) { self.url = url.standardizedFileURL }

    /// Resolves the home from an explicit path, the environment, or the current directory.
    public static func resolve(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ZooHome {
        let cwd = FileManager.default.currentDirectoryPath
        let chosen = explicit ?? environment["ZOO_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? cwd
        let expanded = (chosen as NSString).expandingTildeInPath
        let absolute = expanded.hasPrefix("/") ? expanded : (cwd as NSString).appendingPathComponent(expanded)
        return ZooHome(url: URL(fileURLWithPath: absolute, isDirectory: true))
    }

    /// Creates the home and its `checkpoints/` folder when missing, and checks that both are writable.
    ///
    /// - Throws: `ZooError.io` (exit 74) naming the folder that cannot be created or written.
    public func prepare() throws {
        for folder in [url, checkpointsURL] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw ZooError(.io, "zoo home '\(folder.path)' exists but is not a folder; pick another --home")
                }
            } else if mkdir(folder.path, 0o755) != 0 && errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw ZooError(.io, "cannot create zoo home folder '\(folder.path)': \(reason); pick a writable --home or set ZOO_HOME")
            }
            guard access(folder.path, W_OK) == 0 else {
                throw ZooError(.io, "zoo home folder '\(folder.path)' is not writable; pick a writable --home or set ZOO_HOME")
            }
        }
    }
}
