/// Resizes ``RGBImage``s bit-for-bit as PIL's `Image.resize` does for 8-bit RGB images (no box,
/// no `reducing_gap`): two separable passes, each rounded to bytes and each skipped when its
/// dimension does not change. The horizontal pass runs first, except when the width grows while
/// the height shrinks, where PIL (checked against Pillow 13) shrinks the height first.
public struct ImageResizer: Sendable {
    /// The convolution filter.
    public var filter: ResampleFilter

    /// Creates a resizer using `filter`.
    public init(filter: ResampleFilter = .bicubic) {
        self.filter = filter
    }

    /// `image` resized to `width` × `height`; the same image when the size is unchanged.
    ///
    /// - Precondition: `width` and `height` are positive and `image` is not empty.
    public func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "cannot resize to \(width)x\(height)")
        precondition(image.width > 0 && image.height > 0, "cannot resize an empty image")
        if width > image.width && height < image.height {
            return resizeHorizontally(resizeVertically(image, to: height), to: width)
        }
        return resizeVertically(resizeHorizontally(image, to: width), to: height)
    }

    private func resizeHorizontally(_ image: RGBImage, to width: Int) -> RGBImage {
        guard width != image.width else { return image }
        let kernel = ResampleKernel(inputSize: image.width, outputSize: width, filter: filter)
        return Self.horizontal(image, to: width, kernel: kernel)
    }

    private func resizeVertically(_ image: RGBImage, to height: Int) -> RGBImage {
        guard height != image.height else { return image }
        let kernel = ResampleKernel(inputSize: image.height, outputSize: height, filter: filter)
        return Self.vertical(image, to: height, kernel: kernel)
    }

    private static func horizontal(_ image: RGBImage, to width: Int, kernel: ResampleKernel) -> RGBImage {
        let rows = image.height, inputWidth = image.width
        let half = Int32(1) << Int32(ResampleKernel.precisionBits - 1)
        let pixels = [UInt8](unsafeUninitializedCapacity: rows * width * 3) { out, initialized in
            image.pixels.withUnsafeBufferPointer { source in
                kernel.weights.withUnsafeBufferPointer { weights in
                    for row in 0..<rows {
                        let rowBase = row * inputWidth * 3
                        for x in 0..<width {
                            let first = kernel.firstInput[x], taps = kernel.tapCounts[x]
                            let weightBase = x * kernel.tapsPerOutput
                            var red = half, green = half, blue = half
                            for tap in 0..<taps {
                                let weight = weights[weightBase + tap]
                                let at = rowBase + (first + tap) * 3
                                red &+= Int32(source[at]) &* weight
                                green &+= Int32(source[at + 1]) &* weight
                                blue &+= Int32(source[at + 2]) &* weight
                            }
                            let to = (row * width + x) * 3
                            out[to] = ResampleKernel.clip(red)
                            out[to + 1] = ResampleKernel.clip(green)
                            out[to + 2] = ResampleKernel.clip(blue)
                        }
                    }
                }
            }
            initialized = rows * width * 3
        }
        return RGBImage(width: width, height: rows, pixels: pixels)
    }

    private static func vertical(_ image: RGBImage, to height: Int, kernel: ResampleKernel) -> RGBImage {
        let rowLength = image.width * 3
        let half = Int32(1) << Int32(ResampleKernel.precisionBits - 1)
        let pixels = [UInt8](unsafeUninitializedCapacity: height * rowLength) { out, initialized in
            image.pixels.withUnsafeBufferPointer { source in
                kernel.weights.withUnsafeBufferPointer { weights in
                    var sums = [Int32](repeating: 0, count: rowLength)
                    for y in 0..<height {
                        let first = kernel.firstInput[y], taps = kernel.tapCounts[y]
                        let weightBase = y * kernel.tapsPerOutput
                        for index in 0..<rowLength { sums[index] = half }
                        for tap in 0..<taps {
                            let weight = weights[weightBase + tap]
                            let rowBase = (first + tap) * rowLength
                            for index in 0..<rowLength {
                                sums[index] &+= Int32(source[rowBase + index]) &* weight
                            }
                        }
                        let outBase = y * rowLength
                        for index in 0..<rowLength { out[outBase + index] = ResampleKernel.clip(sums[index]) }
                    }
                }
            }
            initialized = height * rowLength
        }
        return RGBImage(width: image.width, height: height, pixels: pixels)
    }
}
