import Foundation

/// Where the image of a ``DatasetItem`` comes from; readers never decode files or encoded bytes.
public enum ImagePayload: Sendable {
    /// An image file on disk (decode with ``ImageDecoder/decode(contentsOf:)``).
    case file(URL)
    /// Encoded JPEG/PNG/WebP bytes, for example a tar member; `name` is what errors call them
    /// (decode with ``ImageDecoder/decode(bytes:name:)``).
    case encoded(bytes: [UInt8], name: String)
    /// Pixels already in memory (IDX datasets).
    case decoded(RGBImage)
}
