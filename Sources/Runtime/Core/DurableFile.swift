import Foundation

/// Why a ``DurableFile`` could not be written; the file at the target path is unchanged.
public struct DurableFileError: ReportableError, Equatable {
    /// The file that was to be written.
    public let path: String
    /// The system call's error text, or what went wrong.
    public let reason: String

    /// Creates an error for `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write '\(path)': \(reason); check free space and permissions" }

    /// A failed write is an I/O error, 74.
    public var exitStatus: ExitStatus { .io }
}

/// A file written so that it survives a crash whole or not at all: the bytes go into a new
/// temporary file in the target's folder, then ``commit()`` flushes it to disk, renames it over
/// the target and flushes the folder, so a reader (or the next boot) sees the old content or
/// the new, never a mix. Without ``commit()`` the temporary file is removed and the target is
/// untouched. Every write zoo must not lose goes through this type.
public final class DurableFile {
    /// The file being written.
    public let url: URL
    /// The temporary file that holds the bytes until ``commit()``.
    public let temporaryURL: URL
    /// The temporary file's descriptor, for writers that take one (libarchive); -1 once closed.
    public private(set) var descriptor: Int32
    private var committed = false

    /// Creates the temporary file next to `url`.
    public init(creating url: URL) throws(DurableFileError) {
        self.url = url
        temporaryURL = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        descriptor = open(temporaryURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw DurableFileError(path: url.path, reason: Self.systemError()) }
    }

    deinit {
        if !committed { discard() }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(DurableFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress!.advanced(by: offset), bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = Self.systemError()
                discard()
                throw DurableFileError(path: url.path, reason: reason)
            }
            offset += written
        }
    }

    /// Appends `data`.
    public func write(_ data: Data) throws(DurableFileError) {
        let outcome = data.withUnsafeBytes { raw in Result { () throws(DurableFileError) in try write(raw) } }
        try outcome.get()
    }

    /// Flushes the temporary file to disk, renames it over ``url`` and flushes the folder.
    public func commit() throws(DurableFileError) {
        guard fsync(descriptor) == 0 else {
            let reason = Self.systemError()
            discard()
            throw DurableFileError(path: url.path, reason: reason)
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryURL.path, url.path) == 0 else {
            let reason = Self.systemError()
            discard()
            throw DurableFileError(path: url.path, reason: reason)
        }
        committed = true
        let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Removes the temporary file, leaving ``url`` as it was.
    public func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !committed { unlink(temporaryURL.path) }
    }

    /// Writes `data` to `url` durably in one call.
    public static func write(_ data: Data, to url: URL) throws(DurableFileError) {
        let file = try DurableFile(creating: url)
        try file.write(data)
        try file.commit()
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
