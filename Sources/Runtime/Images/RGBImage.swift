/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes (red, green, blue),
/// rows stored top to bottom without padding.
public struct RGBImage: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// `width * height * 3` bytes, interleaved RGB, row-major.
    public let pixels: [UInt8]

    /// Creates an image from interleaved RGB bytes.
    ///
    /// - Precondition: `width` and `height` are non-negative and `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "a \(width)x\(height) RGB image needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The red, green and blue bytes of the pixel in column `x` of row `y`.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }
}
