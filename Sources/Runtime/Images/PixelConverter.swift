/// Converts decoded samples to interleaved 8-bit RGB with PIL's rules (see ``SampleLayout``).
enum PixelConverter {
    /// The RGB bytes of `pixelCount` pixels laid out as `layout` in `samples`.
    ///
    /// - Precondition: `samples` holds at least `pixelCount * layout.bytesPerPixel` bytes.
    static func rgb(from samples: UnsafeBufferPointer<UInt8>, layout: SampleLayout, pixelCount: Int) -> [UInt8] {
        precondition(samples.count >= pixelCount * layout.bytesPerPixel, "too few samples for \(pixelCount) pixels")
        if pixelCount == 0 { return [] }
        let source = samples.baseAddress!
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { out, initialized in
            let target = out.baseAddress!
            switch layout {
            case .grey8:
                spread(pixelCount, into: target) { source[$0] }
            case .grey16:
                spread(pixelCount, into: target) { source[2 * $0] == 0 ? source[2 * $0 + 1] : 255 }
            case .greyAlpha8:
                spread(pixelCount, into: target) { source[2 * $0] }
            case .greyAlpha16:
                spread(pixelCount, into: target) { source[4 * $0] }
            case .rgb8:
                target.update(from: source, count: pixelCount * 3)
            case .rgb16:
                pick(pixelCount, stride: 6, offsets: (0, 2, 4), from: source, into: target)
            case .rgba8:
                pick(pixelCount, stride: 4, offsets: (0, 1, 2), from: source, into: target)
            case .rgba16:
                pick(pixelCount, stride: 8, offsets: (0, 2, 4), from: source, into: target)
            case .palette(let entries):
                lookUp(pixelCount, palette: entries, from: source, into: target)
            case .invertedCMYK:
                convertInvertedCMYK(pixelCount, from: source, into: target)
            }
            initialized = pixelCount * 3
        }
    }

    /// Writes one grey value per pixel into all three channels.
    private static func spread(
        _ count: Int, into target: UnsafeMutablePointer<UInt8>, grey: (Int) -> UInt8
    ) {
        for index in 0..<count {
            let value = grey(index)
            target[3 * index] = value
            target[3 * index + 1] = value
            target[3 * index + 2] = value
        }
    }

    /// Copies three bytes at `offsets` from each `stride`-byte pixel.
    private static func pick(
        _ count: Int, stride: Int, offsets: (Int, Int, Int),
        from source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>
    ) {
        for index in 0..<count {
            let base = index * stride
            target[3 * index] = source[base + offsets.0]
            target[3 * index + 1] = source[base + offsets.1]
            target[3 * index + 2] = source[base + offsets.2]
        }
    }

    private static func lookUp(
        _ count: Int, palette entries: [UInt8],
        from source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>
    ) {
        var table = [UInt8](repeating: 0, count: 256 * 3)
        let known = min(entries.count / 3, 256) * 3
        table.replaceSubrange(0..<known, with: entries[0..<known])
        table.withUnsafeBufferPointer { table in
            for index in 0..<count {
                let entry = 3 * Int(source[index])
                target[3 * index] = table[entry]
                target[3 * index + 1] = table[entry + 1]
                target[3 * index + 2] = table[entry + 2]
            }
        }
    }

    /// PIL's naive CMYK → RGB after un-inverting: `R = (255 - K) - MULDIV255(C, 255 - K)`.
    private static func convertInvertedCMYK(
        _ count: Int, from source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>
    ) {
        for index in 0..<count {
            let base = 4 * index
            let notBlack = Int(source[base + 3])
            for channel in 0..<3 {
                let ink = 255 - Int(source[base + channel])
                target[3 * index + channel] = UInt8(notBlack - mulDiv255(ink, notBlack))
            }
        }
    }

    /// PIL's `MULDIV255`: `round(a * b / 255)` for bytes, in integers.
    static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let product = a * b + 128
        return ((product >> 8) + product) >> 8
    }
}
