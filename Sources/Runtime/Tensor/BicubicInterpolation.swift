/// Which input samples, with which weights, make each output sample along one axis of a resize.
///
/// Output `i` is `Σ weights[k] · input[indices[k]]` for `k` in `offsets[i]..<offsets[i + 1]`.
public struct ResamplingTaps: Sendable, Equatable {
    /// Samples along the axis before resizing.
    public let inputSize: Int
    /// Samples along the axis after resizing.
    public let outputSize: Int
    /// `outputSize + 1` boundaries into ``indices`` and ``weights``.
    public let offsets: [Int]
    /// Input sample of each tap, always in `0..<inputSize`.
    public let indices: [Int]
    /// Weight of each tap.
    public let weights: [Float]

    /// The tap positions of output `index`, as a range into ``indices`` and ``weights``.
    public func taps(of index: Int) -> Range<Int> { offsets[index]..<offsets[index + 1] }
}

/// Bicubic resizing of a channel-last grid, matching PyTorch's
/// `F.interpolate(mode="bicubic", align_corners=False)` given a target size.
///
/// Both of PyTorch's variants are available:
///
/// * `antialias: false`, the plain cubic convolution: for output `i`,
///   `src = (i + 0.5) · in / out − 0.5`, four taps `⌊src⌋ − 1 … ⌊src⌋ + 2` clamped to the edge
///   (edge samples replicate), Keys' kernel with A = −0.75. It does not low-pass when shrinking.
/// * `antialias: true`, PIL's scheme: `scale = in / out`, the kernel (Keys with a = −0.5) widened
///   by `max(scale, 1)`, centred on `(i + 0.5) · scale`, taps cut at the border and the weights
///   divided by their sum.
///
/// The two axes are resized one after the other (width first), which is the same computation as
/// PyTorch's up to Float rounding. Coordinates and weights are computed in Float, as PyTorch does
/// for Float tensors.
public enum BicubicInterpolation {
    /// The taps that resize an axis of `inputSize` samples to `outputSize`.
    ///
    /// - Precondition: both sizes are positive.
    public static func taps(inputSize: Int, outputSize: Int, antialias: Bool) -> ResamplingTaps {
        precondition(inputSize > 0 && outputSize > 0, "cannot resize \(inputSize) samples to \(outputSize)")
        var offsets = [0]
        var indices: [Int] = []
        var weights: [Float] = []
        offsets.reserveCapacity(outputSize + 1)
        let scale = Float(inputSize) / Float(outputSize)
        for output in 0..<outputSize {
            if antialias {
                let stretch = max(scale, 1)
                let support = 2 * stretch
                let centre = scale * (Float(output) + 0.5)
                let first = max(Int(centre - support + 0.5), 0)
                let end = min(Int(centre + support + 0.5), inputSize)
                var taps: [Float] = []
                var total: Float = 0
                for index in first..<max(end, first) {
                    let weight = keys(a: -0.5, (Float(index) - centre + 0.5) / stretch)
                    taps.append(weight)
                    total += weight
                }
                for (offset, weight) in taps.enumerated() {
                    indices.append(first + offset)
                    weights.append(total != 0 ? weight / total : weight)
                }
            } else {
                let source = scale * (Float(output) + 0.5) - 0.5
                let floor = source.rounded(.down)
                let base = min(Int(floor), inputSize - 1)
                let t = min(max(source - Float(base), 0), 1)
                let a: Float = -0.75
                let coefficients = [
                    keysOuter(a: a, t + 1), keysInner(a: a, t),
                    keysInner(a: a, 1 - t), keysOuter(a: a, 2 - t),
                ]
                for (offset, weight) in coefficients.enumerated() {
                    indices.append(min(max(base - 1 + offset, 0), inputSize - 1))
                    weights.append(weight)
                }
            }
            offsets.append(indices.count)
        }
        return ResamplingTaps(
            inputSize: inputSize, outputSize: outputSize, offsets: offsets, indices: indices,
            weights: weights)
    }

    /// Resizes a channel-last grid `height × width × channels` to `toHeight × toWidth × channels`.
    ///
    /// - Parameters:
    ///   - input: The grid, row-major with the channels innermost.
    ///   - output: `toHeight × toWidth × channels` elements; must not overlap `input`.
    public static func resize(
        _ input: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
        toHeight: Int, toWidth: Int, antialias: Bool, output: UnsafeMutablePointer<Float>
    ) {
        guard height > 0, width > 0, channels > 0, toHeight > 0, toWidth > 0 else { return }
        let columns = taps(inputSize: width, outputSize: toWidth, antialias: antialias)
        let rows = taps(inputSize: height, outputSize: toHeight, antialias: antialias)
        // Width first: height × toWidth × channels.
        let across = UnsafeMutablePointer<Float>.allocate(capacity: height * toWidth * channels)
        defer { across.deallocate() }
        ParallelRows.forEach(count: height, costPerRow: toWidth * channels * 4) { range in
            for y in range {
                for x in 0..<toWidth {
                    accumulate(
                        taps: columns, output: x, source: input + y * width * channels,
                        sourceStride: channels, channels: channels,
                        into: across + (y * toWidth + x) * channels)
                }
            }
        }
        ParallelRows.forEach(count: toHeight, costPerRow: toWidth * channels * 4) { range in
            for y in range {
                // Every column of an output row uses the same input rows: treat the row as one
                // vector of toWidth × channels values.
                accumulate(
                    taps: rows, output: y, source: across, sourceStride: toWidth * channels,
                    channels: toWidth * channels, into: output + y * toWidth * channels)
            }
        }
    }

    /// target = Σ weight · source[index · sourceStride ..< +channels] over the taps of `output`.
    @inline(__always)
    private static func accumulate(
        taps: ResamplingTaps, output: Int, source: UnsafePointer<Float>, sourceStride: Int,
        channels: Int, into target: UnsafeMutablePointer<Float>
    ) {
        target.update(repeating: 0, count: channels)
        for tap in taps.taps(of: output) {
            let weight = taps.weights[tap]
            let line = source + taps.indices[tap] * sourceStride
            for channel in 0..<channels { target[channel] += weight * line[channel] }
        }
    }

    /// Keys' cubic kernel with parameter `a`, for any x.
    @inline(__always)
    static func keys(a: Float, _ x: Float) -> Float {
        let x = abs(x)
        if x < 1 { return keysInner(a: a, x) }
        if x < 2 { return keysOuter(a: a, x) }
        return 0
    }

    /// ((a + 2)x − (a + 3))x² + 1, the kernel on |x| < 1.
    @inline(__always)
    static func keysInner(a: Float, _ x: Float) -> Float {
        ((a + 2) * x - (a + 3)) * x * x + 1
    }

    /// ((ax − 5a)x + 8a)x − 4a, the kernel on 1 ≤ |x| < 2.
    @inline(__always)
    static func keysOuter(a: Float, _ x: Float) -> Float {
        ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    }
}

extension Tensor {
    /// This channel-last grid `[H, W, channels]` resized to `[height, width, channels]` with
    /// ``BicubicInterpolation`` (PyTorch's bicubic `interpolate` to a target size with
    /// `align_corners=False`, antialiased or not).
    public func bicubicResized(height toHeight: Int, width toWidth: Int, antialias: Bool) -> Tensor {
        precondition(rank == 3, "bicubic resizing needs a [height, width, channels] grid, got \(shape)")
        precondition(toHeight > 0 && toWidth > 0, "cannot resize to \(toHeight) × \(toWidth)")
        let (height, width, channels) = (shape[0], shape[1], shape[2])
        precondition(height > 0 && width > 0, "cannot resize an empty grid \(shape)")
        var result = Tensor(shape: [toHeight, toWidth, channels])
        result.withUnsafeMutableBufferPointer { output in
            guard let output = output.baseAddress else { return }
            BicubicInterpolation.resize(
                baseAddress, height: height, width: width, channels: channels,
                toHeight: toHeight, toWidth: toWidth, antialias: antialias, output: output)
        }
        return result
    }
}
