import CImageShims

/// PNG through libpng, via the C shim; gamma, colour profiles and transparency chunks are ignored, as PIL does.
enum PNGDecoder {
    /// The RGB pixels of PNG `bytes`, converted as PIL does (see ``SampleLayout``); orientation not applied.
    static func decode(_ bytes: [UInt8], file: String, limits: ImageLimits) throws(ImageError) -> RGBImage {
        try ShimRaster.decode(
            bytes, file: file, format: .png, limits: limits,
            decode: { zoo_png_decode($0, $1, $2, $3) },
            layout: layout(of:))
    }

    private static func layout(of raster: zoo_raster) -> SampleLayout? {
        let wide = raster.bit_depth == 16
        switch raster.channels {
        case 1 where raster.palette_size > 0 && !wide: return .palette(ShimRaster.palette(of: raster))
        case 1: return wide ? .grey16 : .grey8
        case 2: return wide ? .greyAlpha16 : .greyAlpha8
        case 3: return wide ? .rgb16 : .rgb8
        case 4: return wide ? .rgba16 : .rgba8
        default: return nil
        }
    }
}
