import Crypto
import Foundation

/// SHA-256 of small texts, for cache keys and digests of item lists.
public enum ContentHash {
    /// The SHA-256 of `text`'s UTF-8 bytes, lower-case hex.
    public static func sha256(_ text: String) -> String {
        CheckpointDigest.hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The SHA-256 of the file at `path`, lower-case hex, and its size in bytes, read in chunks.
    ///
    /// - Throws: `ZooError` 74 naming the file when it cannot be read.
    public static func sha256(fileAt path: String) throws -> (digest: String, bytes: Int64) {
        try FileHasher.hash(path)
    }
}
