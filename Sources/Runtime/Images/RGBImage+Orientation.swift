extension RGBImage {
    /// The image turned for display according to `orientation`, as PIL's `ImageOps.exif_transpose`
    /// does; width and height swap for orientations 5 to 8.
    public func oriented(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up { return self }
        let outWidth = orientation.swapsDimensions ? height : width
        let outHeight = orientation.swapsDimensions ? width : height
        let count = width * height
        let result = pixels.withUnsafeBufferPointer { source in
            [UInt8](unsafeUninitializedCapacity: count * 3) { target, initialized in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let (sourceX, sourceY) = sourcePixel(x: x, y: y, orientation: orientation)
                        let from = 3 * (sourceY * width + sourceX)
                        let to = 3 * (y * outWidth + x)
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
                initialized = count * 3
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: result)
    }

    /// The stored pixel shown at (`x`, `y`) of the displayed image.
    private func sourcePixel(x: Int, y: Int, orientation: ExifOrientation) -> (x: Int, y: Int) {
        switch orientation {
        case .up: return (x, y)
        case .upMirrored: return (width - 1 - x, y)
        case .down: return (width - 1 - x, height - 1 - y)
        case .downMirrored: return (x, height - 1 - y)
        case .leftMirrored: return (y, x)
        case .right: return (y, height - 1 - x)
        case .rightMirrored: return (width - 1 - y, height - 1 - x)
        case .left: return (width - 1 - y, x)
        }
    }
}
