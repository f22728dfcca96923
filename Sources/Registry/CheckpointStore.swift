import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint copied into the store: its content address and files.
public struct StoredCheckpoint: Sendable, Equatable {
    /// The content digest, also the folder name under `checkpoints/`.
    public let digest: String
    /// The files with their sizes and hashes.
    public let files: [CheckpointFile]
    /// Whether identical content was already in the store.
    public let alreadyStored: Bool

    /// Total size of all files.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }
}

/// What `CheckpointStore.inspect` finds wrong with one stored checkpoint.
public enum CheckpointProblem: Sendable, Equatable {
    /// The checkpoint's folder or one of its files is gone.
    case missing(file: String)
    /// A file's size or hash, or the folder's digest, differs from the catalog.
    case corrupt(file: String, reason: String)
}

/// The content-addressed checkpoint store `checkpoints/<sha256>/…`.
///
/// Adding hashes while copying into `checkpoints/.tmp-<uuid>/`, fsyncs every file and folder,
/// then renames the folder to its digest in one atomic step; the catalog row is committed only
/// after that. Writers that add hold a shared `flock` on `checkpoints/.lock`; anything that
/// deletes folders (`remove`, `gc`, `verify`) holds it exclusively, so a folder is never
/// deleted between another process's store and its commit.
public struct CheckpointStore: Sendable {
    /// The store folder.
    public let root: URL

    /// Prefix of folders being written.
    static let temporaryPrefix = ".tmp-"
    /// Prefix of folders being deleted.
    static let trashPrefix = ".trash-"

    /// A store at `root` (the home's `checkpoints/`).
    public init(root: URL) { self.root = root }

    /// The folder of a stored checkpoint.
    public func folder(for digest: String) -> URL { root.appendingPathComponent(digest, isDirectory: true) }

    /// Runs `body` holding the store lock, shared or exclusive.
    public func withLock<T>(exclusive: Bool, _ body: () throws -> T) throws -> T {
        try FileLock(path: root.appendingPathComponent(".lock").path).withLock(exclusive: exclusive, body)
    }

    /// Copies (or hard-links, with `link`) the files of `folder` into the store.
    /// Call while holding the shared lock, and commit the catalog row before releasing it.
    public func add(_ checkpoint: CheckpointFolder, link: Bool) throws -> StoredCheckpoint {
        let temporary = root.appendingPathComponent(CheckpointStore.temporaryPrefix + UUID().uuidString)
        guard mkdir(temporary.path, 0o755) == 0 else { throw ZooError.posix("create", temporary.path) }
        var keepTemporary = false
        defer { if !keepTemporary { try? FileManager.default.removeItem(at: temporary) } }

        var files: [CheckpointFile] = []
        var folders: Set<String> = [temporary.path]
        for relative in checkpoint.files {
            let source = checkpoint.url.appendingPathComponent(relative).path
            let destination = temporary.appendingPathComponent(relative).path
            let parent = (destination as NSString).deletingLastPathComponent
            if !folders.contains(parent) {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                var ancestor = parent
                while ancestor.count > temporary.path.count { folders.insert(ancestor); ancestor = (ancestor as NSString).deletingLastPathComponent }
            }
            let (sha, bytes): (String, Int64)
            if link, linkat(AT_FDCWD, source, AT_FDCWD, destination, AT_SYMLINK_FOLLOW) == 0 {
                (sha, bytes) = try FileHasher.hash(destination)
            } else {
                (sha, bytes) = try FileHasher.hash(source, copyingTo: destination)
            }
            files.append(CheckpointFile(path: relative, bytes: bytes, sha256: sha))
        }
        for path in folders.sorted(by: { $0.count > $1.count }) { try CheckpointStore.syncFolder(path) }

        let digest = CheckpointDigest.digest(of: files)
        let final = folder(for: digest)
        if rename(temporary.path, final.path) != 0 {
            guard errno == ENOTEMPTY || errno == EEXIST else { throw ZooError.posix("move into place", final.path) }
            return StoredCheckpoint(digest: digest, files: files, alreadyStored: true)
        }
        keepTemporary = true
        try CheckpointStore.syncFolder(root.path)
        return StoredCheckpoint(digest: digest, files: files, alreadyStored: false)
    }

    /// Deletes a stored folder: renamed to a trash name first, so a crash leaves only trash for `gc`.
    /// Call while holding the exclusive lock.
    public func delete(_ name: String) throws {
        let source = root.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: source.path) else { return }
        let trash = root.appendingPathComponent(CheckpointStore.trashPrefix + UUID().uuidString)
        guard rename(source.path, trash.path) == 0 else { throw ZooError.posix("remove", source.path) }
        do { try FileManager.default.removeItem(at: trash) } catch {
            throw ZooError(.io, "cannot delete '\(trash.path)': \(error.localizedDescription)")
        }
    }

    /// The entries of the store folder: digest folders and leftovers (temporary, trash, or foreign names).
    public func entries() throws -> (digests: [String], leftovers: [String]) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path) } catch {
            throw ZooError(.io, "cannot list '\(root.path)': \(error.localizedDescription)")
        }
        var digests: [String] = []
        var leftovers: [String] = []
        for name in names.sorted() where name != ".lock" {
            if CheckpointDigest.isDigest(name) { digests.append(name) } else { leftovers.append(name) }
        }
        return (digests, leftovers)
    }

    /// Re-hashes a stored checkpoint against its catalog file list.
    public func inspect(digest: String, files: [CheckpointFile]) -> [CheckpointProblem] {
        let base = folder(for: digest)
        guard FileManager.default.fileExists(atPath: base.path) else { return [.missing(file: digest + "/")] }
        var problems: [CheckpointProblem] = []
        for file in files {
            let path = base.appendingPathComponent(file.path).path
            guard FileManager.default.fileExists(atPath: path) else {
                problems.append(.missing(file: digest + "/" + file.path))
                continue
            }
            guard let (sha, bytes) = try? FileHasher.hash(path) else {
                problems.append(.corrupt(file: digest + "/" + file.path, reason: "unreadable"))
                continue
            }
            if bytes != file.bytes {
                problems.append(.corrupt(file: digest + "/" + file.path, reason: "size \(bytes), expected \(file.bytes)"))
            } else if sha != file.sha256 {
                problems.append(.corrupt(file: digest + "/" + file.path, reason: "sha256 \(sha), expected \(file.sha256)"))
            }
        }
        if problems.isEmpty, CheckpointDigest.digest(of: files) != digest {
            problems.append(.corrupt(file: digest + "/", reason: "file list does not hash to the folder's digest"))
        }
        return problems
    }

    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ZooError.posix("open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ZooError.posix("fsync", path) }
    }
}
