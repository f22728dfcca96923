import CImageShims

/// Turns what a C shim decoder returned into an ``RGBImage`` or an ``ImageError``.
enum ShimRaster {
    /// The C form of `limits`.
    static func cLimits(_ limits: ImageLimits) -> zoo_image_limits {
        zoo_image_limits(max_side: UInt32(clamping: limits.maxSide), max_pixels: UInt64(clamping: limits.maxPixels))
    }

    /// Runs `decode` on `bytes` and converts its raster with the layout `layout` picks;
    /// the raster's memory is freed before returning.
    static func decode(
        _ bytes: [UInt8], file: String, format: ImageFormat, limits: ImageLimits,
        decode: (UnsafePointer<UInt8>, Int, zoo_image_limits, UnsafeMutablePointer<zoo_raster>) -> zoo_image_status,
        layout: (zoo_raster) -> SampleLayout?
    ) throws(ImageError) -> RGBImage {
        var raster = zoo_raster()
        let status = bytes.withUnsafeBufferPointer { buffer in
            decode(buffer.baseAddress!, buffer.count, cLimits(limits), &raster)
        }
        defer { zoo_raster_free(&raster) }
        let reason = message(of: raster)
        switch status {
        case ZOO_IMAGE_OK:
            break
        case ZOO_IMAGE_TOO_LARGE:
            throw .dimensionsTooLarge(
                file: file, format: format, width: Int(raster.width), height: Int(raster.height), limits: limits)
        case ZOO_IMAGE_UNSUPPORTED:
            throw .unsupported(file: file, format: format, reason: reason)
        case ZOO_IMAGE_NO_MEMORY:
            throw .outOfMemory(file: file, format: format, reason: reason)
        default:
            throw .corrupt(file: file, format: format, reason: reason)
        }
        guard let pixels = raster.pixels, let sampleLayout = layout(raster) else {
            throw .unsupported(
                file: file, format: format,
                reason: "\(raster.channels) channels of \(raster.bit_depth) bits")
        }
        let width = Int(raster.width), height = Int(raster.height)
        let samples = UnsafeBufferPointer(start: pixels, count: width * height * sampleLayout.bytesPerPixel)
        let rgb = PixelConverter.rgb(from: samples, layout: sampleLayout, pixelCount: width * height)
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// The raster's NUL-terminated message as a string.
    static func message(of raster: zoo_raster) -> String {
        withUnsafeBytes(of: raster.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The raster's palette as RGB triples.
    static func palette(of raster: zoo_raster) -> [UInt8] {
        withUnsafeBytes(of: raster.palette) { Array($0.prefix(Int(raster.palette_size) * 3)) }
    }
}
