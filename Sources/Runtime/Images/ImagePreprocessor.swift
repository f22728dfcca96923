import Foundation

/// Turns images into model input exactly as a Hugging Face image processor with PIL does:
/// decode (``ImageDecoder``), resize (``ImageResizer``), center crop, rescale, normalise, and
/// lay the result out channel first as `Float32`.
public struct ImagePreprocessor: Sendable {
    /// The processor settings.
    public let configuration: ImagePreprocessorConfiguration
    /// The decoder used for files.
    public let decoder: ImageDecoder
    private let normalizer: PixelNormalizer

    /// Creates a preprocessor from settings.
    public init(configuration: ImagePreprocessorConfiguration, decoder: ImageDecoder = ImageDecoder()) {
        self.configuration = configuration
        self.decoder = decoder
        normalizer = PixelNormalizer(configuration: configuration)
    }

    /// Creates a preprocessor from a `preprocessor_config.json`.
    public init(contentsOf url: URL, decoder: ImageDecoder = ImageDecoder()) throws(ImagePreprocessorConfigError) {
        self.init(configuration: try ImagePreprocessorConfiguration(contentsOf: url), decoder: decoder)
    }

    /// The resize step alone (PIL's `Image.resize` with the configured filter); `image` itself
    /// when resizing is off or the size is already right.
    public func resized(_ image: RGBImage) -> RGBImage {
        let size = configuration.resizedSize(width: image.width, height: image.height)
        if size.width == image.width && size.height == image.height { return image }
        return ImageResizer(filter: configuration.resample).resize(image, width: size.width, height: size.height)
    }

    /// The image resized and center-cropped, before rescaling: the bytes the model sees.
    public func prepared(_ image: RGBImage) -> RGBImage {
        let resized = resized(image)
        guard configuration.doCenterCrop else { return resized }
        return resized.centerCropped(width: configuration.cropWidth, height: configuration.cropHeight)
    }

    /// The model input for `image`: a `[3, height, width]` tensor (the crop size when cropping).
    ///
    /// - Precondition: `image` is not empty.
    public func pixelValues(for image: RGBImage) -> Tensor {
        let input = modelInput(for: image)
        return Tensor(shape: input.shape, scalars: input.scalars)
    }

    /// Decodes the file at `url` and returns its `[3, height, width]` model input.
    public func pixelValues(contentsOf url: URL) throws(ImageError) -> Tensor {
        pixelValues(for: try decoder.decode(contentsOf: url))
    }

    /// The shape (`[3, height, width]`) and channel-first values of `image`'s model input.
    package func modelInput(for image: RGBImage) -> (shape: [Int], scalars: [Float]) {
        let prepared = prepared(image)
        return ([3, prepared.height, prepared.width], normalizer.channelsFirst(prepared))
    }
}
