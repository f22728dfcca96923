import CArchive
import Foundation

/// A libarchive reader over one file, streamed in blocks: tar members one at a time, or (``raw``)
/// the file's decompressed bytes (gzip or not) as a single entry.
///
/// Errors name the file and carry libarchive's message. Not thread-safe; used by one iterator.
final class ArchiveStream {
    /// One archive member.
    struct Entry {
        /// The member's path inside the archive, without a leading `./`.
        var path: String
        /// Whether it is a regular file (directories, links… are not).
        var isRegularFile: Bool
        /// Its declared size, if the archive declares one.
        var size: Int64?
    }

    /// The file read.
    let path: String
    private var handle: OpaquePointer?

    /// How many bytes libarchive read from the file so far (not the decompressed count).
    var bytesConsumed: Int64 {
        guard let handle else { return 0 }
        return archive_filter_bytes(handle, -1)
    }

    /// Opens `path` as a tar archive (any compression libarchive knows), or with `raw` as a plain
    /// byte stream; `what` says what the file should be, for the messages.
    init(path: String, raw: Bool, what: String, blockSize: Int = 1 << 16) throws(DatasetError) {
        self.path = path
        try DatasetPaths.requireFile(path, what: what)
        guard let handle = archive_read_new() else {
            throw DatasetError(.io, "\(path): cannot allocate a libarchive reader")
        }
        self.handle = handle
        archive_read_support_filter_all(handle)
        if raw {
            archive_read_support_format_raw(handle)
        } else {
            archive_read_support_format_tar(handle)
        }
        if archive_read_open_filename(handle, path, blockSize) != ARCHIVE_OK {
            let message = Self.message(handle)
            let errno = archive_errno(handle)
            throw DatasetError(
                errno == EACCES || errno == EIO ? .io : .data,
                "\(path): cannot open \(what): \(message)")
        }
    }

    deinit {
        if let handle { archive_read_free(handle) }
    }

    /// The next member, or `nil` at the end of the archive.
    func nextEntry() throws(DatasetError) -> Entry? {
        guard let handle else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw failure("corrupt or truncated archive")
        }
        var name = ""
        if let utf8 = archive_entry_pathname_utf8(entry) {
            name = String(cString: utf8)
        } else if let plain = archive_entry_pathname(entry) {
            name = String(cString: plain)
        }
        while name.hasPrefix("./") { name.removeFirst(2) }
        let isRegular = archive_entry_filetype(entry) == 0o100000
        let size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
        return Entry(path: name, isRegularFile: isRegular, size: size)
    }

    /// The rest of the current member's data; more than `limit` bytes is a data error.
    func readAll(limit: Int, member: String) throws(DatasetError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try read(into: &chunk)
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else {
                throw DatasetError(.data, "\(path): member \(member) is larger than the \(limit)-byte limit")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Reads up to `buffer.count` bytes of the current member into `buffer`; 0 at its end.
    func read(into buffer: inout [UInt8]) throws(DatasetError) -> Int {
        guard let handle else { return 0 }
        let count = buffer.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw failure("corrupt or truncated data") }
        return count
    }

    /// Skips the rest of the current member.
    func skipData() throws(DatasetError) {
        guard let handle else { return }
        let status = archive_read_data_skip(handle)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN || status == ARCHIVE_EOF else {
            throw failure("corrupt or truncated archive")
        }
    }

    /// Closes the file early.
    func close() {
        if let handle { archive_read_free(handle) }
        handle = nil
    }

    private func failure(_ what: String) -> DatasetError {
        let message = handle.map(Self.message) ?? "closed"
        let errno = handle.map { archive_errno($0) } ?? 0
        return DatasetError(errno == EIO ? .io : .data, "\(path): \(what): \(message)")
    }

    private static func message(_ handle: OpaquePointer) -> String {
        guard let text = archive_error_string(handle) else { return "damaged or truncated data" }
        return String(cString: text)
    }
}
