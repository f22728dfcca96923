import Foundation

/// Decodes JPEG, PNG and WebP files into ``RGBImage``s the way Hugging Face's `load_image` does
/// with PIL: EXIF orientation applied, then `convert("RGB")` (grey copied, palettes looked up,
/// alpha dropped without compositing, 16-bit samples reduced to their high byte, Adobe CMYK
/// converted with PIL's naive formula).
///
/// Damaged, truncated, empty or oversized inputs throw an ``ImageError`` naming the file; sizes are
/// checked against ``limits`` before pixel memory is allocated.
public struct ImageDecoder: Sendable {
    /// The size limits applied to every file.
    public var limits: ImageLimits
    /// Whether the EXIF orientation is applied (PIL's `ImageOps.exif_transpose`).
    public var appliesOrientation: Bool

    /// Creates a decoder.
    public init(limits: ImageLimits = .standard, appliesOrientation: Bool = true) {
        self.limits = limits
        self.appliesOrientation = appliesOrientation
    }

    /// Reads and decodes the image file at `url`; errors name the file by its path.
    public func decode(contentsOf url: URL) throws(ImageError) -> RGBImage {
        try decode(bytes: readFile(url), name: url.path)
    }

    /// Decodes an image held in memory; `name` is what errors call it.
    public func decode(bytes: [UInt8], name: String) throws(ImageError) -> RGBImage {
        guard !bytes.isEmpty else { throw .empty(file: name) }
        guard bytes.count <= limits.maxFileBytes else {
            throw .fileTooLarge(file: name, bytes: bytes.count, limit: limits.maxFileBytes)
        }
        guard let format = ImageFormat.detect(bytes) else {
            throw .unknownFormat(file: name, detected: ImageFormat.unsupportedName(bytes))
        }
        let image: RGBImage
        switch format {
        case .jpeg: image = try JPEGDecoder.decode(bytes, file: name, limits: limits)
        case .png: image = try PNGDecoder.decode(bytes, file: name, limits: limits)
        case .webp: image = try WebPDecoder.decode(bytes, file: name, limits: limits)
        }
        guard appliesOrientation else { return image }
        return image.oriented(ExifLocator.orientation(in: bytes, format: format))
    }

    /// The file's bytes, refusing files over ``ImageLimits/maxFileBytes`` before reading them.
    private func readFile(_ url: URL) throws(ImageError) -> [UInt8] {
        let name = url.path
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: name)
            if let type = attributes[.type] as? FileAttributeType, type == .typeDirectory {
                throw ImageError.unreadable(file: name, reason: "is a directory")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as ImageError {
            throw error
        } catch {
            throw .unreadable(file: name, reason: Self.reason(error))
        }
        guard size <= limits.maxFileBytes else {
            throw .fileTooLarge(file: name, bytes: size, limit: limits.maxFileBytes)
        }
        do {
            return try [UInt8](Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw .unreadable(file: name, reason: Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        return nsError.localizedDescription
    }
}
