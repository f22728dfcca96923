import Foundation

/// An advisory `flock(2)` on a lock file, released when the holder exits, even by SIGKILL.
struct FileLock {
    /// The lock file; created when missing.
    let path: String

    /// Runs `body` holding the lock, shared or exclusive.
    func withLock<T>(exclusive: Bool, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ZooError.posix("open lock file", path) }
        defer { close(fd) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw ZooError.posix("lock", path) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
