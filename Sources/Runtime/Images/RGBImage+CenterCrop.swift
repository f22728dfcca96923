extension RGBImage {
    /// The central `width` × `height` region, as transformers' `center_crop` takes it: the top-left
    /// corner at `((self.height - height) // 2, (self.width - width) // 2)` (floor division), so an
    /// odd remainder leaves the extra row or column at the bottom or right. Where the crop is larger
    /// than the image, the missing pixels are black (zero), as its padding is.
    public func centerCropped(width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "cannot crop to \(width)x\(height)")
        if width == self.width && height == self.height { return self }
        let top = Self.floorHalf(self.height - height), left = Self.floorHalf(self.width - width)
        let sourceWidth = self.width, sourceHeight = self.height
        let result = pixels.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: width * height * 3) { out, initialized in
                out.initialize(repeating: 0)
                let columns = max(0, left)..<min(sourceWidth, left + width)
                for y in 0..<height {
                    let sourceY = y + top
                    guard sourceY >= 0, sourceY < sourceHeight, !columns.isEmpty else { continue }
                    let from = (sourceY * sourceWidth + columns.lowerBound) * 3
                    let to = (y * width + columns.lowerBound - left) * 3
                    for index in 0..<(columns.count * 3) { out[to + index] = source[from + index] }
                }
                initialized = width * height * 3
            }
        }
        return RGBImage(width: width, height: height, pixels: result)
    }

    /// `value // 2` with Python's flooring division.
    private static func floorHalf(_ value: Int) -> Int {
        value >= 0 ? value / 2 : -((-value + 1) / 2)
    }
}
