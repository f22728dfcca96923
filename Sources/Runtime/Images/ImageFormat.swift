/// The image file formats zoo decodes.
public enum ImageFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// JPEG (JFIF, Exif or Adobe), decoded with libjpeg-turbo.
    case jpeg = "JPEG"
    /// PNG, decoded with libpng.
    case png = "PNG"
    /// WebP (lossy, lossless, with alpha; first frame of animations), decoded with libwebp.
    case webp = "WebP"

    /// The format's name.
    public var description: String { rawValue }

    /// The format whose signature starts `bytes`, or `nil` when none matches.
    public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return .webp
        }
        return nil
    }

    /// The name of a recognised but unsupported format whose signature starts `bytes`, for error messages.
    static func unsupportedName(_ bytes: some Collection<UInt8>) -> String? {
        let head = Array(bytes.prefix(12))
        func starts(_ text: String) -> Bool { head.starts(with: Array(text.utf8)) }
        if starts("GIF87a") || starts("GIF89a") { return "GIF" }
        if starts("BM") { return "BMP" }
        if starts("II*\u{0}") || starts("MM\u{0}*") { return "TIFF" }
        if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8) {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            return brand.hasPrefix("avi") ? "AVIF" : "HEIF/ISO media (\(brand))"
        }
        if head.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) || head.starts(with: [0, 0, 0, 0x0C, 0x6A, 0x50]) {
            return "JPEG 2000"
        }
        if head.starts(with: [0xFF, 0x0A]) || head.starts(with: [0, 0, 0, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) {
            return "JPEG XL"
        }
        if starts("RIFF") { return "non-WebP RIFF" }
        return nil
    }
}
