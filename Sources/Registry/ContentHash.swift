import Crypto
import Foundation

/// SHA-256 of small texts, for cache keys and digests of item lists.
public enum ContentHash {
    /// The SHA-256 of `text`'s UTF-8 bytes, lower-case hex.
    public static func sha256(_ text: String) -> String {
        CheckpointDigest.hex(SHA256.hash(data: Data(text.utf8)))
    }
}
