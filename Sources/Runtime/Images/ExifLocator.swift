/// Finds the orientation metadata in a file's container structure without decoding pixels, where
/// PIL's `Image.getexif` finds it.
enum ExifLocator {
    /// The EXIF and XMP blocks of one file (the last of each where PIL keeps the last).
    struct Metadata {
        var exif: [UInt8]?
        var xmp: [UInt8]?
    }

    /// The orientation PIL's `exif_transpose` applies: the EXIF orientation tag, or when EXIF has
    /// none, XMP's `tiff:Orientation`; `.up` when neither is usable.
    static func orientation(in bytes: [UInt8], format: ImageFormat) -> ExifOrientation {
        let metadata: Metadata
        switch format {
        case .jpeg: metadata = jpegMetadata(bytes)
        case .png: metadata = pngMetadata(bytes)
        case .webp: metadata = webpMetadata(bytes)
        }
        let value = metadata.exif.flatMap { ExifOrientation.tagValue(tiff: $0) }
            ?? metadata.xmp.flatMap { ExifOrientation.xmpValue($0) }
        return value.flatMap(ExifOrientation.init(rawValue:)) ?? .up
    }

    /// JPEG: APP1 `Exif\0\0` segments before the first scan, concatenated as PIL does (the first
    /// whole, later ones without their prefix); the last APP1 XMP packet.
    static func jpegMetadata(_ bytes: [UInt8]) -> Metadata {
        let exifPrefix = Array("Exif\u{0}\u{0}".utf8)
        let xmpPrefix = Array("http://ns.adobe.com/xap/1.0/\u{0}".utf8)
        var metadata = Metadata()
        var position = 2
        while position + 4 <= bytes.count, bytes[position] == 0xFF {
            let marker = bytes[position + 1]
            if marker == 0xFF {
                position += 1
                continue
            }
            if marker == 0x01 || marker == 0xD8 || (0xD0...0xD7).contains(marker) {
                position += 2
                continue
            }
            if marker == 0xD9 || marker == 0xDA { break }
            let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            let end = position + 2 + length
            guard length >= 2, end <= bytes.count else { break }
            let data = bytes[(position + 4)..<end]
            if marker == 0xE1, data.starts(with: exifPrefix) {
                metadata.exif = metadata.exif.map { $0 + data.dropFirst(6) } ?? Array(data)
            } else if marker == 0xE1, data.starts(with: xmpPrefix) {
                metadata.xmp = Array(data.dropFirst(xmpPrefix.count))
            }
            position = end
        }
        return metadata
    }

    /// PNG: the last `eXIf` chunk (or `tEXt` keyword `exif`), and the last uncompressed `tEXt` or
    /// `iTXt` with keyword `XML:com.adobe.xmp`, before or after the image data.
    static func pngMetadata(_ bytes: [UInt8]) -> Metadata {
        var metadata = Metadata()
        var position = 8
        while position + 8 <= bytes.count {
            let length = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            let end = position + 8 + length
            guard end <= bytes.count else { break }
            let data = bytes[(position + 8)..<end]
            switch type {
            case "eXIf":
                metadata.exif = Array(data)
            case "tEXt":
                let (keyword, text) = splitAtNul(data)
                if keyword.elementsEqual("exif".utf8) { metadata.exif = Array(text) }
                if keyword.elementsEqual("XML:com.adobe.xmp".utf8) { metadata.xmp = Array(text) }
            case "iTXt":
                if let text = uncompressedInternationalText(data, keyword: "XML:com.adobe.xmp") {
                    metadata.xmp = Array(text)
                }
            case "IEND":
                return metadata
            default:
                break
            }
            position = end + 4
        }
        return metadata
    }

    /// WebP: the RIFF `EXIF` and `XMP ` chunks.
    static func webpMetadata(_ bytes: [UInt8]) -> Metadata {
        var metadata = Metadata()
        var position = 12
        while position + 8 <= bytes.count {
            let type = String(decoding: bytes[position..<(position + 4)], as: UTF8.self)
            let size = bytes[(position + 4)..<(position + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            let end = position + 8 + size
            guard end <= bytes.count else { break }
            if type == "EXIF", metadata.exif == nil { metadata.exif = Array(bytes[(position + 8)..<end]) }
            if type == "XMP ", metadata.xmp == nil { metadata.xmp = Array(bytes[(position + 8)..<end]) }
            position = end + (size & 1)
        }
        return metadata
    }

    /// The bytes before the first NUL, and those after it (empty when there is none).
    private static func splitAtNul(_ data: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        guard let nul = data.firstIndex(of: 0) else { return (data, []) }
        return (data[..<nul], data[(nul + 1)...])
    }

    /// The text of an `iTXt` chunk with `keyword` when it is not compressed (keyword, NUL,
    /// compression flag and method, language, NUL, translated keyword, NUL, text).
    private static func uncompressedInternationalText(
        _ data: ArraySlice<UInt8>, keyword: String
    ) -> ArraySlice<UInt8>? {
        let (key, rest) = splitAtNul(data)
        guard key.elementsEqual(keyword.utf8), rest.count >= 2, rest.first == 0 else { return nil }
        let afterFlags = rest.dropFirst(2)
        guard let languageEnd = afterFlags.firstIndex(of: 0) else { return nil }
        let afterLanguage = afterFlags[(languageEnd + 1)...]
        guard let translatedEnd = afterLanguage.firstIndex(of: 0) else { return nil }
        return afterLanguage[(translatedEnd + 1)...]
    }
}
