import CArchive
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a tar + zstd stream with libarchive so that the same entries always give the same
/// bytes: ustar headers (no pax records, so no timestamps), mtime 0, uid and gid 0, no user or
/// group names, mode 0644, and zstd at its default level.
///
/// Entries are written in the order they are added; the caller fixes that order. Besides regular
/// files the writer can emit links, folders and special files, which only tests use (to build
/// the hostile archives `ArchiveReader` must refuse).
final class TarZstdWriter {
    /// What an entry is.
    enum Kind {
        case regular
        case symlink(to: String)
        case hardlink(to: String)
        case directory
        case fifo
        case characterDevice
    }

    /// The file written, for messages.
    let path: String
    private var handle: OpaquePointer?

    /// Starts an archive on the open descriptor `fd` (which stays open; the caller closes it).
    init(fd: Int32, path: String) throws {
        self.path = path
        guard let handle = archive_write_new() else {
            throw ZooError(.software, "cannot allocate a libarchive writer")
        }
        self.handle = handle
        guard archive_write_add_filter_zstd(handle) == ARCHIVE_OK else {
            throw ZooError(.software, "this libarchive cannot write zstd (\(TarZstdWriter.message(handle))); rebuild it with libzstd")
        }
        guard archive_write_set_format_ustar(handle) == ARCHIVE_OK, archive_write_open_fd(handle, fd) == ARCHIVE_OK else {
            throw failure("start")
        }
    }

    deinit {
        if let handle { archive_write_free(handle) }
    }

    /// Adds an entry holding `data` (data is ignored for kinds other than `.regular`).
    func add(_ name: String, data: Data, kind: Kind = .regular) throws {
        try writeHeader(name, size: kind.isRegular ? Int64(data.count) : 0, kind: kind)
        if kind.isRegular {
            try data.withUnsafeBytes { try writeData($0) }
        }
    }

    /// Adds a regular entry of `size` bytes streamed from the file at `source`, returning the
    /// SHA-256 and byte count of what was read (a file of another size is an error).
    func add(_ name: String, size: Int64, from source: String) throws -> (sha256: String, bytes: Int64) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ZooError.posix("read", source) }
        defer { close(input) }
        try writeHeader(name, size: size, kind: .regular)
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ZooError.posix("read", source)
            }
            if count == 0 { break }
            total += Int64(count)
            guard total <= size else { break }
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                hasher.update(bufferPointer: chunk)
                try writeData(chunk)
            }
        }
        return (CheckpointDigest.hex(hasher.finalize()), total)
    }

    /// Writes the end of the archive and flushes the compressor.
    func finish() throws {
        guard let handle else { return }
        guard archive_write_close(handle) == ARCHIVE_OK else { throw failure("finish") }
    }

    private func writeHeader(_ name: String, size: Int64, kind: Kind) throws {
        guard let entry = archive_entry_new() else { throw ZooError(.software, "cannot allocate a libarchive entry") }
        defer { archive_entry_free(entry) }
        archive_entry_copy_pathname(entry, name)
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, size)
        switch kind {
        case .regular:
            archive_entry_set_filetype(entry, 0o100000)
        case .symlink(let target):
            archive_entry_set_filetype(entry, 0o120000)
            archive_entry_copy_symlink(entry, target)
        case .hardlink(let target):
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_copy_hardlink(entry, target)
        case .directory:
            archive_entry_set_filetype(entry, 0o040000)
            archive_entry_set_perm(entry, 0o755)
        case .fifo:
            archive_entry_set_filetype(entry, 0o010000)
        case .characterDevice:
            archive_entry_set_filetype(entry, 0o020000)
            archive_entry_set_rdev(entry, 0x103)  // 1:3, /dev/null
        }
        guard let handle, archive_write_header(handle, entry) == ARCHIVE_OK else {
            throw failure("write the header of '\(name)' to")
        }
    }

    private func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let handle else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(handle, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { throw failure("write") }
            offset += written
        }
    }

    private func failure(_ operation: String) -> ZooError {
        let reason = handle.map(TarZstdWriter.message) ?? "closed"
        return ZooError(.io, "cannot \(operation) archive '\(path)': \(reason)")
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}

extension TarZstdWriter.Kind {
    var isRegular: Bool {
        if case .regular = self { return true }
        return false
    }
}
