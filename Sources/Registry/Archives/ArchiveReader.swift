import CArchive
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Caps on what `zoo import` unpacks from one archive. Both are checked while the archive is
/// streamed (against each entry's declared size and against the bytes actually unpacked), so a
/// compression bomb stops at the cap instead of filling the disk.
public struct ArchiveLimits: Sendable, Equatable {
    /// Most bytes all entries together may unpack to, manifest included (default 4 GiB).
    public var totalBytes: Int64
    /// Most bytes `manifest.json` may have (default 1 MiB).
    public var manifestBytes: Int64

    /// Caps of `totalBytes` and `manifestBytes`.
    public init(totalBytes: Int64 = 4 << 30, manifestBytes: Int64 = 1 << 20) {
        self.totalBytes = totalBytes
        self.manifestBytes = manifestBytes
    }

    /// The caps `zoo import` uses: 4 GiB in all, 1 MiB of manifest.
    public static let standard = ArchiveLimits()
}

/// Rules for paths inside an archive: plain top-level file names only.
enum ArchivePath {
    /// Why `name` may not be an archive entry, or nil when it may.
    static func problem(_ name: String) -> String? {
        if let escape = escapeProblem(name) { return escape }
        if name.contains("/") { return "is in a subfolder (archives hold top-level files only)" }
        if name.hasPrefix(".") { return "is a hidden file" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "has control characters in its name" }
        if name.utf8.count > 255 { return "has a name longer than 255 bytes" }
        return nil
    }

    /// Why `name` could point outside the folder it is unpacked into (empty, absolute, `..`), or nil.
    static func escapeProblem(_ name: String) -> String? {
        if name.isEmpty { return "has an empty name" }
        if name.hasPrefix("/") { return "is an absolute path" }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") { return "has a '..' component" }
        return nil
    }

    /// `name` quoted for a message: control characters escaped, at most 200 characters.
    static func display(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars.prefix(200) {
            if scalar.properties.generalCategory == .control || scalar == "'" {
                text += scalar.escaped(asASCII: true)
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return "'" + text + (name.unicodeScalars.count > 200 ? "…" : "") + "'"
    }
}

/// Reads a projector archive as hostile input: streams it once with libarchive and refuses
/// (`ZooError.data`, 65, naming the entry and the reason) anything but the expected regular
/// files. Use `readManifest()` first, then `extract(into:)`.
final class ArchiveReader {
    /// The archive file.
    let url: URL
    let limits: ArchiveLimits
    private var handle: OpaquePointer?
    private var seen: Set<String> = []
    private var lastEntry: String?
    private var unpacked: Int64 = 0
    private(set) var manifest: ArchiveManifest?

    /// Opens `url` (66 when missing, 65 when it is not a regular file).
    init(url: URL, limits: ArchiveLimits) throws {
        self.url = url
        self.limits = limits
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            if errno == ENOENT { throw ZooError(.noInput, "archive '\(url.path)' does not exist") }
            throw ZooError.posix("read", url.path)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ZooError(.data, "'\(url.path)' is not a file; pass a .zoo archive written by 'zoo pack'")
        }
        guard let handle = archive_read_new() else { throw ZooError(.software, "cannot allocate a libarchive reader") }
        self.handle = handle
        archive_read_support_filter_zstd(handle)
        archive_read_support_format_tar(handle)
        guard archive_read_open_filename(handle, url.path, 1 << 16) == ARCHIVE_OK else {
            let code = archive_errno(handle)
            if code == EACCES || code == EIO || code == EPERM || code == EISDIR {
                throw ZooError(.io, "cannot open archive '\(url.path)': \(ArchiveReader.message(handle))")
            }
            throw streamFailure()
        }
    }

    deinit { close() }

    /// Releases libarchive's reader.
    func close() {
        if let handle { archive_read_free(handle) }
        handle = nil
    }

    /// Reads and checks the first entry, which must be `manifest.json`: its format, version,
    /// file list (safe names, required files, declared sizes under the cap) and checkpoint digest.
    func readManifest() throws -> ArchiveManifest {
        guard let (name, size) = try nextEntry() else {
            throw ZooError(.data, "cannot import '\(url.path)': the archive is empty; it needs manifest.json first")
        }
        guard name == ArchiveManifest.manifestPath else {
            throw reject(name, "comes first, but manifest.json must be the first entry")
        }
        guard size <= limits.manifestBytes else {
            throw reject(name, "is \(size) bytes, above the cap of \(limits.manifestBytes) bytes for a manifest")
        }
        var data = Data()
        try readData(of: name, declared: size) { data.append(contentsOf: $0) }
        let manifest: ArchiveManifest
        do { manifest = try ArchiveManifest.decode(data) } catch let error as ZooError {
            throw ZooError(.data, "cannot import '\(url.path)': \(error.message); nothing was imported")
        }
        try check(manifest)
        self.manifest = manifest
        return manifest
    }

    /// Streams the remaining entries: each must be a listed regular file seen once, of the listed
    /// size and SHA-256. Checkpoint files are written into `folder` (which must exist and be
    /// empty); the model card is only verified. Every listed file must appear.
    func extract(into folder: URL) throws {
        guard let manifest else { throw ZooError(.software, "ArchiveReader.extract called before readManifest") }
        var missing = Set(manifest.files.keys)
        while let (name, size) = try nextEntry() {
            guard let expected = manifest.files[name] else {
                throw reject(name, "is not listed in manifest.json")
            }
            guard size == expected.bytes else {
                throw reject(name, "is \(size) bytes but manifest.json says \(expected.bytes) (size mismatch)")
            }
            guard size <= limits.totalBytes - unpacked else {
                throw capExceeded(name)
            }
            var output: Int32 = -1
            let target = folder.appendingPathComponent(name).path
            if name != ArchiveManifest.modelCardPath {
                output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                guard output >= 0 else { throw ZooError.posix("create", target) }
            }
            defer { if output >= 0 { Glibc.close(output) } }
            var hasher = SHA256()
            try readData(of: name, declared: expected.bytes) { chunk in
                hasher.update(bufferPointer: chunk)
                if output >= 0 { try ArchiveReader.writeAll(output, chunk, path: target) }
            }
            let sha = CheckpointDigest.hex(hasher.finalize())
            guard sha == expected.sha256 else {
                throw reject(name, "has SHA-256 \(sha) but manifest.json says \(expected.sha256) (hash mismatch)")
            }
            if output >= 0, fsync(output) != 0 { throw ZooError.posix("fsync", target) }
            missing.remove(name)
        }
        if let absent = missing.sorted().first {
            throw ZooError(.data, "cannot import '\(url.path)': manifest.json lists \(ArchivePath.display(absent)) but the archive has no such entry (missing file); nothing was imported")
        }
        try CheckpointStore.syncFolder(folder.path)
    }

    // MARK: - Entries

    /// The next entry's name and size after the checks every entry gets, or nil at the end.
    private func nextEntry() throws -> (String, Int64)? {
        guard let handle else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK, let entry else { throw streamFailure() }
        if lastEntry == nil { try checkCompression() }
        guard let raw = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry) else {
            throw ZooError(.data, "cannot import '\(url.path)': an entry has a name that is not UTF-8; nothing was imported")
        }
        let name = String(cString: raw)
        lastEntry = name
        if let problem = ArchivePath.escapeProblem(name) { throw reject(name, problem) }
        if let target = archive_entry_hardlink(entry) {
            throw reject(name, "is a hard link (to \(ArchivePath.display(String(cString: target)))); archives hold regular files only")
        }
        let type = archive_entry_filetype(entry)
        guard type == 0o100000 else {
            let kind: String
            switch type {
            case 0o120000:
                let target = archive_entry_symlink(entry).map { String(cString: $0) } ?? "?"
                kind = "a symbolic link (to \(ArchivePath.display(target)))"
            case 0o040000: kind = "a directory"
            case 0o020000: kind = "a character device"
            case 0o060000: kind = "a block device"
            case 0o010000: kind = "a FIFO"
            case 0o140000: kind = "a socket"
            default: kind = "of unknown type 0o\(String(type, radix: 8))"
            }
            throw reject(name, "is \(kind), not a regular file; archives hold regular files only")
        }
        if let problem = ArchivePath.problem(name) { throw reject(name, problem) }
        guard seen.insert(name).inserted else {
            throw reject(name, "appears twice (duplicate entry)")
        }
        guard archive_entry_size_is_set(entry) != 0 else {
            throw reject(name, "has no size")
        }
        return (name, archive_entry_size(entry))
    }

    /// Feeds the current entry's data to `body` chunk by chunk, stopping as soon as it runs past
    /// `declared` bytes (size mismatch) or past a cap.
    private func readData(of name: String, declared: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var count: Int64 = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, $0.count) }
            if got == 0 { break }
            guard got > 0 else { throw streamFailure() }
            count += Int64(got)
            unpacked += Int64(got)
            let isManifest = name == ArchiveManifest.manifestPath
            guard unpacked <= limits.totalBytes, !isManifest || count <= limits.manifestBytes else {
                throw capExceeded(name)
            }
            guard count <= declared else {
                throw reject(name, "holds more than the \(declared) bytes it declares (size mismatch)")
            }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        guard count == declared else {
            throw reject(name, "holds \(count) bytes but declares \(declared) (size mismatch)")
        }
    }

    /// The archive must be zstd-compressed tar.
    private func checkCompression() throws {
        guard let handle else { return }
        let filters = (0..<archive_filter_count(handle)).map { archive_filter_code(handle, $0) }
        guard filters.contains(ARCHIVE_FILTER_ZSTD) else {
            throw ZooError(.data, "cannot import '\(url.path)': it is a tar archive but not zstd-compressed; zoo archives are tar + zstd as 'zoo pack' writes them")
        }
    }

    // MARK: - Manifest

    private func check(_ manifest: ArchiveManifest) throws {
        func bad(_ reason: String) -> ZooError {
            ZooError(.data, "cannot import '\(url.path)': manifest.json \(reason); nothing was imported")
        }
        for name in manifest.files.keys.sorted() {
            if let problem = ArchivePath.problem(name) { throw bad("lists \(ArchivePath.display(name)), which \(problem)") }
            if name == ArchiveManifest.manifestPath { throw bad("lists itself under files") }
            let file = manifest.files[name]!
            guard file.bytes >= 0, file.sha256.count == 64, CheckpointDigest.isDigest(file.sha256) else {
                throw bad("gives \(ArchivePath.display(name)) an invalid size or sha256")
            }
        }
        for required in [ArchiveManifest.modelCardPath] + ArchiveManifest.requiredCheckpointFiles where manifest.files[required] == nil {
            throw bad("does not list \(required)")
        }
        let declared = manifest.files.values.reduce(Int64(0)) { $0 &+ max($1.bytes, 0) }
        guard manifest.files.values.allSatisfy({ $0.bytes <= limits.totalBytes }), declared <= limits.totalBytes - unpacked else {
            throw bad("declares \(declared) bytes of files, above the cap of \(limits.totalBytes) bytes on an archive's unpacked size")
        }
        guard CheckpointDigest.digest(of: manifest.checkpointFiles) == manifest.projector.checkpointDigest else {
            throw bad("gives projector.checkpoint_digest \(manifest.projector.checkpointDigest), but its files hash to \(CheckpointDigest.digest(of: manifest.checkpointFiles))")
        }
        guard manifest.projector.architecture.objectValue != nil else { throw bad("has a projector.architecture that is not a JSON object") }
        guard manifest.encoders.vision.modality == .vision else { throw bad("names a text encoder as encoders.vision") }
        guard manifest.encoders.text.modality == .text else { throw bad("names a vision encoder as encoders.text") }
        for side in [manifest.encoders.vision, manifest.encoders.text] where !CheckpointDigest.isDigest(side.checkpointDigest) {
            throw bad("gives encoder '\(side.name)' an invalid checkpoint_digest")
        }
    }

    // MARK: - Errors

    private func reject(_ name: String, _ reason: String) -> ZooError {
        ZooError(.data, "cannot import '\(url.path)': entry \(ArchivePath.display(name)) \(reason); nothing was imported")
    }

    private func capExceeded(_ name: String) -> ZooError {
        let cap = name == ArchiveManifest.manifestPath ? limits.manifestBytes : limits.totalBytes
        let what = name == ArchiveManifest.manifestPath ? "manifest size" : "unpacked size"
        return reject(name, "runs past the cap of \(cap) bytes on an archive's \(what); stopped unpacking")
    }

    private func streamFailure() -> ZooError {
        let reason = handle.map(ArchiveReader.message) ?? "closed"
        if let lastEntry {
            return ZooError(.data, "cannot import '\(url.path)': the archive is corrupt or truncated after entry \(ArchivePath.display(lastEntry)) (\(reason)); nothing was imported")
        }
        return ZooError(.data, "cannot import '\(url.path)': it is not a zoo archive (tar + zstd as 'zoo pack' writes): \(reason)")
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "damaged or truncated data"
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ZooError.posix("write", path)
            }
            offset += written
        }
    }
}
