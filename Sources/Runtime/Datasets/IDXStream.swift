import Foundation

/// The bytes of an IDX file, decompressed on the fly when gzipped (libarchive's raw format).
final class IDXStream {
    let path: String
    private let archive: ArchiveStream
    /// How many (decompressed) bytes were returned so far.
    private(set) var offset: Int64 = 0

    init(path: String) throws(DatasetError) {
        self.path = path
        archive = try ArchiveStream(path: path, raw: true, what: "an IDX file")
        guard try archive.nextEntry() != nil else {
            throw DatasetError(.data, "\(path): the file is empty")
        }
    }

    /// Up to `count` bytes; fewer only at the end of the data.
    func read(_ count: Int) throws(DatasetError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        var chunk = [UInt8](repeating: 0, count: min(count, 1 << 16))
        while filled < count {
            if chunk.count > count - filled { chunk = [UInt8](repeating: 0, count: count - filled) }
            let got = try archive.read(into: &chunk)
            if got == 0 { break }
            bytes.replaceSubrange(filled..<filled + got, with: chunk[0..<got])
            filled += got
        }
        offset += Int64(filled)
        if filled < count { bytes.removeLast(count - filled) }
        return bytes
    }

    /// Whether `path` starts with the gzip magic bytes.
    static func isGzip(_ path: String) throws(DatasetError) -> Bool {
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let head = [UInt8](try handle.read(upToCount: 2) ?? Data())
            return head == [0x1F, 0x8B]
        } catch {
            throw DatasetError(.io, "\(path): cannot read the file: \(DatasetPaths.reason(error))")
        }
    }
}
