import Crypto
import Foundation

/// How a checkpoint's content address is computed.
///
/// Each file is hashed with SHA-256; the manifest is one line per file, sorted by path
/// (byte order of UTF-8), of the form `<hex sha256><two spaces><relative path>\n` — the
/// same lines `sha256sum` prints. The checkpoint digest is the SHA-256 of that manifest, so
/// `(cd DIR && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) | sha256sum`
/// reproduces it for a folder without hidden files.
public enum CheckpointDigest {
    /// The digest of a list of files with known hashes.
    public static func digest(of files: [CheckpointFile]) -> String {
        var hasher = SHA256()
        for file in files.sorted(by: { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }) {
            hasher.update(data: Data("\(file.sha256)  \(file.path)\n".utf8))
        }
        return hex(hasher.finalize())
    }

    /// The digest `folder` would be stored under (every file hashed, links followed), without
    /// storing anything.
    public static func digest(of folder: CheckpointFolder) throws -> String {
        let files = try folder.files.map { relative -> CheckpointFile in
            let (sha, bytes) = try FileHasher.hash(folder.url.appendingPathComponent(relative).path)
            return CheckpointFile(path: relative, bytes: bytes, sha256: sha)
        }
        return digest(of: files)
    }

    /// Lower-case hex of a digest.
    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in digest {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `name` looks like a digest folder name (64 lower-case hex characters).
    static func isDigest(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Streams a file through SHA-256, optionally copying it to a destination as it goes.
struct FileHasher {
    static let chunkSize = 1 << 20

    /// Hashes `source`; when `destination` is given, writes the same bytes there (created
    /// exclusively, fsynced). Returns the hex digest and the byte count.
    static func hash(_ source: String, copyingTo destination: String? = nil) throws -> (String, Int64) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ZooError.posix("read", source) }
        defer { close(input) }
        var output: Int32 = -1
        if let destination {
            output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard output >= 0 else { throw ZooError.posix("create", destination) }
        }
        defer { if output >= 0 { close(output) } }
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ZooError.posix("read", source)
            }
            if count == 0 { break }
            total += Int64(count)
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if output >= 0, let destination {
                try buffer.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < count {
                        let written = write(output, raw.baseAddress! + offset, count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw ZooError.posix("write", destination)
                        }
                        offset += written
                    }
                }
            }
        }
        if output >= 0, let destination, fsync(output) != 0 {
            throw ZooError.posix("fsync", destination)
        }
        return (CheckpointDigest.hex(hasher.finalize()), total)
    }
}
