import CImageShims

/// JPEG through libjpeg-turbo (islow IDCT, fancy upsampling: PIL's defaults), via the C shim.
enum JPEGDecoder {
    /// The RGB pixels of JPEG `bytes`, converted as PIL does (grey copied, Adobe CMYK un-inverted
    /// then `convert("RGB")`'s naive formula); orientation not applied.
    static func decode(_ bytes: [UInt8], file: String, limits: ImageLimits) throws(ImageError) -> RGBImage {
        try ShimRaster.decode(
            bytes, file: file, format: .jpeg, limits: limits,
            decode: { zoo_jpeg_decode($0, $1, $2, $3) },
            layout: { raster in
                switch raster.channels {
                case 1: return .grey8
                case 3: return .rgb8
                case 4: return .invertedCMYK
                default: return nil
                }
            })
    }
}
