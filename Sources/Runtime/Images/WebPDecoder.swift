import CWebP

/// WebP through libwebp: stills with `WebPDecode` into RGB (alpha dropped, colours under it kept),
/// animations by their first composited frame, as PIL shows them.
enum WebPDecoder {
    /// The RGB pixels of WebP `bytes`; orientation not applied.
    static func decode(_ bytes: [UInt8], file: String, limits: ImageLimits) throws(ImageError) -> RGBImage {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ImageError) -> RGBImage in
            let data = buffer.baseAddress!
            var features = WebPBitstreamFeatures()
            let status = WebPGetFeatures(data, buffer.count, &features)
            guard status == VP8_STATUS_OK else { throw error(status, file: file, stage: "reading the header") }
            let width = Int(features.width), height = Int(features.height)
            guard limits.allows(width: width, height: height) else {
                throw .dimensionsTooLarge(file: file, format: .webp, width: width, height: height, limits: limits)
            }
            if features.has_animation != 0 {
                return try firstFrame(buffer, width: width, height: height, file: file)
            }
            return try still(buffer, width: width, height: height, file: file)
        }
    }

    private static func still(
        _ buffer: UnsafeBufferPointer<UInt8>, width: Int, height: Int, file: String
    ) throws(ImageError) -> RGBImage {
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else {
            throw .unsupported(file: file, format: .webp, reason: "libwebp ABI mismatch")
        }
        var status = VP8_STATUS_OK
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { out, initialized in
            config.output.colorspace = MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = out.baseAddress
            config.output.u.RGBA.stride = Int32(width * 3)
            config.output.u.RGBA.size = out.count
            status = WebPDecode(buffer.baseAddress, buffer.count, &config)
            WebPFreeDecBuffer(&config.output)
            // Zero-fill on failure so the array is always fully initialised; it is discarded then.
            if status != VP8_STATUS_OK { out.initialize(repeating: 0) }
            initialized = out.count
        }
        guard status == VP8_STATUS_OK else { throw error(status, file: file, stage: "decoding") }
        guard Int(config.output.width) == width, Int(config.output.height) == height else {
            throw .corrupt(file: file, format: .webp, reason: "decoded size differs from the header")
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func firstFrame(
        _ buffer: UnsafeBufferPointer<UInt8>, width: Int, height: Int, file: String
    ) throws(ImageError) -> RGBImage {
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else {
            throw .unsupported(file: file, format: .webp, reason: "libwebp ABI mismatch")
        }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        var data = WebPData(bytes: buffer.baseAddress, size: buffer.count)
        guard let decoder = WebPAnimDecoderNew(&data, &options) else {
            throw .corrupt(file: file, format: .webp, reason: "invalid animation")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0,
            Int(info.canvas_width) == width, Int(info.canvas_height) == height
        else {
            throw .corrupt(file: file, format: .webp, reason: "inconsistent animation canvas")
        }
        var canvas: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
            throw .corrupt(file: file, format: .webp, reason: "cannot decode the first frame")
        }
        let rgba = UnsafeBufferPointer(start: canvas, count: width * height * 4)
        let rgb = PixelConverter.rgb(from: rgba, layout: .rgba8, pixelCount: width * height)
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    private static func error(_ status: VP8StatusCode, file: String, stage: String) -> ImageError {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA:
            return .corrupt(file: file, format: .webp, reason: "truncated data while \(stage)")
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            return .unsupported(file: file, format: .webp, reason: "unsupported feature while \(stage)")
        case VP8_STATUS_OUT_OF_MEMORY:
            return .outOfMemory(file: file, format: .webp, reason: "while \(stage)")
        default:
            let reason = "bitstream error (status \(status.rawValue)) while \(stage)"
            return .corrupt(file: file, format: .webp, reason: reason)
        }
    }
}
