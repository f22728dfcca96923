import Foundation

extension ImagePreprocessor {
    /// The model inputs of `images` stacked into one `[N, 3, height, width]` tensor.
    ///
    /// Throws ``ImageError/shapeMismatch(file:expected:actual:)`` (naming the image by its index)
    /// when the images do not all come out the same size, which happens only without center crop.
    public func batch(_ images: [RGBImage]) throws(ImageError) -> Tensor {
        try Self.stack(images.enumerated().map { ("image \($0.offset)", modelInput(for: $0.element)) })
    }

    /// Decodes the files at `urls` and stacks their model inputs into `[N, 3, height, width]`,
    /// failing on the first file that cannot be decoded.
    public func batch(contentsOf urls: [URL]) throws(ImageError) -> Tensor {
        var inputs: [(String, (shape: [Int], scalars: [Float]))] = []
        for url in urls {
            inputs.append((url.path, modelInput(for: try decoder.decode(contentsOf: url))))
        }
        return try Self.stack(inputs)
    }

    /// Concatenates same-shaped `[3, height, width]` inputs along a new first axis.
    static func stack(
        _ inputs: [(name: String, input: (shape: [Int], scalars: [Float]))]
    ) throws(ImageError) -> Tensor {
        guard let shape = inputs.first?.input.shape else { return Tensor(shape: [0, 3, 0, 0]) }
        var scalars: [Float] = []
        scalars.reserveCapacity(inputs.count * shape.reduce(1, *))
        for (name, input) in inputs {
            guard input.shape == shape else { throw .shapeMismatch(file: name, expected: shape, actual: input.shape) }
            scalars.append(contentsOf: input.scalars)
        }
        return Tensor(shape: [inputs.count] + shape, scalars: scalars)
    }
}
