/// The rescale and normalise steps as a table: every channel byte maps to one `Float`, computed
/// as transformers does (`Float(Double(byte) * rescaleFactor)`, then `(x - Float(mean)) / Float(std)`
/// in `Float`).
struct PixelNormalizer: Sendable {
    /// 256 values for red, then green, then blue.
    private let table: [Float]

    init(configuration: ImagePreprocessorConfiguration) {
        var table = [Float](repeating: 0, count: 3 * 256)
        for channel in 0..<3 {
            let mean = Float(configuration.imageMean[channel]), std = Float(configuration.imageStd[channel])
            for byte in 0..<256 {
                var value = configuration.doRescale ? Float(Double(byte) * configuration.rescaleFactor) : Float(byte)
                if configuration.doNormalize { value = (value - mean) / std }
                table[channel * 256 + byte] = value
            }
        }
        self.table = table
    }

    /// The image's values in channel-first order (`[3, height, width]` flattened).
    func channelsFirst(_ image: RGBImage) -> [Float] {
        let plane = image.width * image.height
        return [Float](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
            table.withUnsafeBufferPointer { table in
                image.pixels.withUnsafeBufferPointer { pixels in
                    for index in 0..<plane {
                        out[index] = table[Int(pixels[3 * index])]
                        out[plane + index] = table[256 + Int(pixels[3 * index + 1])]
                        out[2 * plane + index] = table[512 + Int(pixels[3 * index + 2])]
                    }
                }
            }
            initialized = 3 * plane
        }
    }
}
