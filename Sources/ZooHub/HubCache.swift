import Foundation

/// One repository's folder in the Hugging Face cache, in the layout `huggingface_hub` writes
/// and reads: `models--ORG--REPO/refs/REVISION` holds a commit id, `blobs/ETAG` the file
/// contents (named by LFS sha256 or git blob sha1), and `snapshots/COMMIT/PATH` a relative
/// symbolic link to the blob. zoo's downloads are therefore Python's cache hits, and the
/// other way round.
public struct HubCache: Sendable {
    /// `CACHE/models--ORG--REPO`.
    public let folder: URL
    public let repository: String

    public init(root: URL, repository: String) {
        self.repository = repository
        self.folder = root.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"), isDirectory: true)
    }

    /// The commit `revision` names in the cache: itself when it is a commit, else the content
    /// of `refs/REVISION`; `nil` when the cache has no such ref.
    public func commit(for revision: String) -> String? {
        if HubReference.isCommit(revision) { return revision }
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubReference.isCommit(commit) ? commit : nil
    }

    /// `snapshots/COMMIT`.
    public func snapshot(_ commit: String) -> URL {
        folder.appendingPathComponent("snapshots", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
    }

    /// The readable regular files (links followed) of a snapshot, as `/`-separated relative
    /// paths, at most two levels deep.
    public func files(in commit: String) -> [String] {
        let root = snapshot(commit)
        var found: [String] = []
        func walk(_ url: URL, prefix: String, depth: Int) {
            guard depth <= 2, let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
            for name in names where !name.hasPrefix(".") {
                let child = url.appendingPathComponent(name)
                var info = stat()
                guard stat(child.path, &info) == 0 else { continue }
                let relative = prefix.isEmpty ? name : prefix + "/" + name
                if (info.st_mode & S_IFMT) == S_IFREG {
                    found.append(relative)
                } else if (info.st_mode & S_IFMT) == S_IFDIR {
                    walk(child, prefix: relative, depth: depth + 1)
                }
            }
        }
        walk(root, prefix: "", depth: 0)
        return found.sorted()
    }

    /// Checks that each of `paths` in snapshot `commit` is the cache's own file: after every
    /// link is followed, a regular file inside this repository's folder (`blobs/ETAG`, or a
    /// copy in the snapshot). The cache is read like an archive: a link to anywhere else (an
    /// absolute target, or `..` out of the repository), a linked folder that leads out, or
    /// anything but a regular file is refused.
    ///
    /// - Throws: ``HubError`` 65 naming the file and where it leads.
    public func checkContained(_ paths: [String], commit: String) throws(HubError) {
        guard let base = Self.realPath(folder) else { return }
        for path in paths {
            let url = snapshot(commit).appendingPathComponent(path)
            guard let target = Self.realPath(url) else {
                throw HubError(.data, "'\(url.path)' in the Hugging Face cache is a broken link; delete \(snapshot(commit).path) and fetch \(repository) again")
            }
            var info = stat()
            guard target.hasPrefix(base + "/"), stat(target, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                throw HubError(.data, "'\(url.path)' in the Hugging Face cache leads to '\(target)', which is not a file of \(folder.path); refusing it (a cache's snapshot links point into its own blobs/). Delete \(snapshot(commit).path) and fetch \(repository) again")
            }
        }
    }

    /// The path of `url` with every link resolved (realpath), or nil when it does not exist.
    static func realPath(_ url: URL) -> String? {
        guard let resolved = realpath(url.path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `blobs/ETAG`.
    public func blob(_ etag: String) -> URL {
        folder.appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag)
    }

    /// `blobs/ETAG.incomplete`: a download in progress, resumed from its length.
    public func partial(_ etag: String) -> URL {
        folder.appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag + ".incomplete")
    }

    /// Runs `body` holding the exclusive lock of blob `etag`, the file
    /// `.locks/models--ORG--REPO/ETAG.lock` that `huggingface_hub` locks too (flock), so two
    /// downloads of one blob, by zoo or by Python, never write the same `.incomplete` file.
    public func withBlobLock<T>(_ etag: String, _ body: () async throws -> T) async throws -> T {
        let folder = self.folder.deletingLastPathComponent().appendingPathComponent(".locks").appendingPathComponent(self.folder.lastPathComponent)
        try createFolder(folder)
        let path = folder.appendingPathComponent(etag + ".lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.ioError("open", path) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw Self.ioError("lock", path) }
            try await Task.sleep(for: .milliseconds(100))
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }

    /// Whether the snapshot has `path` with `size` bytes (links followed).
    public func has(_ path: String, commit: String, size: Int64) -> Bool {
        var info = stat()
        return stat(snapshot(commit).appendingPathComponent(path).path, &info) == 0
            && (info.st_mode & S_IFMT) == S_IFREG && Int64(info.st_size) == size
    }

    /// Moves a verified download into `blobs/ETAG` and links `snapshots/COMMIT/PATH` to it
    /// (relative, as `huggingface_hub` does).
    ///
    /// - Throws: ``HubError`` 74 when the cache cannot be written.
    public func commitBlob(from partial: URL, etag: String, commit: String, path: String) throws {
        let blob = self.blob(etag)
        try createFolder(blob.deletingLastPathComponent())
        if rename(partial.path, blob.path) != 0 { throw Self.ioError("move \(partial.path) to", blob.path) }
        try link(path, commit: commit, etag: etag)
    }

    /// Links `snapshots/COMMIT/PATH` to an existing `blobs/ETAG`.
    public func link(_ path: String, commit: String, etag: String) throws {
        let target = snapshot(commit).appendingPathComponent(path)
        try createFolder(target.deletingLastPathComponent())
        let depth = path.split(separator: "/").count - 1
        let relative = String(repeating: "../", count: depth + 2) + "blobs/" + etag
        unlink(target.path)
        if symlink(relative, target.path) != 0 { throw Self.ioError("link", target.path) }
    }

    /// Writes `refs/REVISION` = `commit` (not for a commit revision), atomically.
    public func writeRef(_ revision: String, commit: String) throws {
        guard !HubReference.isCommit(revision) else { return }
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(revision)
        try createFolder(ref.deletingLastPathComponent())
        let temporary = ref.deletingLastPathComponent().appendingPathComponent(".\(ref.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(commit.utf8).write(to: temporary)
        } catch {
            throw HubError(.io, "cannot write '\(temporary.path)' (\(error.localizedDescription)); check that the cache folder is writable or set HF_HUB_CACHE")
        }
        if rename(temporary.path, ref.path) != 0 { throw Self.ioError("write", ref.path) }
    }

    private func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw HubError(.io, "cannot create '\(url.path)' (\(error.localizedDescription)); check that the cache folder is writable or set HF_HUB_CACHE")
        }
    }

    static func ioError(_ operation: String, _ path: String) -> HubError {
        HubError(.io, "cannot \(operation) '\(path)' (\(String(cString: strerror(errno)))); check that the cache folder is writable or set HF_HUB_CACHE")
    }
}
