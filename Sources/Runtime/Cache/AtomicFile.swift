import Foundation

/// Writes small files atomically: into a temporary file in the same folder, flushed to disk, then
/// renamed over the target, so a reader sees the old content or the new, never a mix.
enum AtomicFile {
    /// Writes `data` to `url` atomically.
    static func write(_ data: Data, to url: URL) throws(EmbeddingCacheError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EmbeddingCacheError(.io, "cannot write '\(url.path)': \(String(cString: strerror(errno)))")
        }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress!.advanced(by: offset), raw.count - offset)
                if written < 0 { if errno == EINTR { continue }; return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(descriptor) == 0
        let reason = String(cString: strerror(errno))
        close(descriptor)
        guard ok, rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw EmbeddingCacheError(.io, "cannot write '\(url.path)': \(reason); check free space and permissions")
        }
    }
}
