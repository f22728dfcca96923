/// Upper bounds on what a decoder accepts, checked against the sizes a file declares before any
/// pixel memory is allocated.
public struct ImageLimits: Sendable, Equatable {
    /// The longest side accepted, in pixels.
    public var maxSide: Int
    /// The most pixels (width × height) accepted.
    public var maxPixels: Int
    /// The largest file accepted, in bytes.
    public var maxFileBytes: Int

    /// Creates limits; the defaults are 16,384 pixels a side, 100 megapixels and 512 MiB files.
    public init(maxSide: Int = 16_384, maxPixels: Int = 100_000_000, maxFileBytes: Int = 512 << 20) {
        self.maxSide = maxSide
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// The default limits: 16,384 pixels a side, 100 megapixels, 512 MiB files.
    public static let standard = ImageLimits()

    /// Whether a declared `width` × `height` is within ``maxSide`` and ``maxPixels``.
    public func allows(width: Int, height: Int) -> Bool {
        guard width >= 0, height >= 0, width <= maxSide, height <= maxSide else { return false }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && pixels <= maxPixels
    }
}
