/// The settings of a Hugging Face image processor (`preprocessor_config.json`) that
/// ``ImagePreprocessor`` applies, in order: resize, center crop, rescale, normalise.
///
/// Defaults are those of transformers' `BitImageProcessor` (DINOv2's processor), used for any
/// field a configuration file leaves out.
public struct ImagePreprocessorConfiguration: Sendable, Equatable {
    /// The size the resize step aims for.
    public enum ResizeTarget: Sendable, Equatable {
        /// Scale so the shorter side becomes this long; the longer side is `Int(edge * long / short)`,
        /// truncated (transformers' `get_resize_output_image_size` without `max_size`).
        case shortestEdge(Int)
        /// Resize to exactly this size, ignoring the aspect ratio.
        case exact(height: Int, width: Int)
    }

    /// `do_resize`.
    public var doResize: Bool
    /// `size`.
    public var resizeTarget: ResizeTarget
    /// `resample`.
    public var resample: ResampleFilter
    /// `do_center_crop`.
    public var doCenterCrop: Bool
    /// `crop_size.height`.
    public var cropHeight: Int
    /// `crop_size.width`.
    public var cropWidth: Int
    /// `do_rescale`.
    public var doRescale: Bool
    /// `rescale_factor`, applied in double precision before rounding to `Float`.
    public var rescaleFactor: Double
    /// `do_normalize`.
    public var doNormalize: Bool
    /// `image_mean`, one value per channel (R, G, B).
    public var imageMean: [Double]
    /// `image_std`, one value per channel (R, G, B).
    public var imageStd: [Double]
    /// `do_convert_rgb`; decoded images are always RGB, so this is recorded but changes nothing.
    public var doConvertRGB: Bool

    /// Creates a configuration; every default is `BitImageProcessor`'s.
    ///
    /// - Precondition: sizes are positive, `imageMean` and `imageStd` hold three values and no
    ///   standard deviation is zero.
    public init(
        doResize: Bool = true,
        resizeTarget: ResizeTarget = .shortestEdge(224),
        resample: ResampleFilter = .bicubic,
        doCenterCrop: Bool = true,
        cropHeight: Int = 224,
        cropWidth: Int = 224,
        doRescale: Bool = true,
        rescaleFactor: Double = 1.0 / 255.0,
        doNormalize: Bool = true,
        imageMean: [Double] = [0.48145466, 0.4578275, 0.40821073],
        imageStd: [Double] = [0.26862954, 0.26130258, 0.27577711],
        doConvertRGB: Bool = true
    ) {
        switch resizeTarget {
        case .shortestEdge(let edge): precondition(edge > 0, "shortest edge must be positive")
        case .exact(let height, let width): precondition(height > 0 && width > 0, "resize size must be positive")
        }
        precondition(cropHeight > 0 && cropWidth > 0, "crop size must be positive")
        precondition(imageMean.count == 3 && imageStd.count == 3, "image_mean and image_std need 3 values")
        precondition(!imageStd.contains(0), "image_std must not be zero")
        self.doResize = doResize
        self.resizeTarget = resizeTarget
        self.resample = resample
        self.doCenterCrop = doCenterCrop
        self.cropHeight = cropHeight
        self.cropWidth = cropWidth
        self.doRescale = doRescale
        self.rescaleFactor = rescaleFactor
        self.doNormalize = doNormalize
        self.imageMean = imageMean
        self.imageStd = imageStd
        self.doConvertRGB = doConvertRGB
    }

    /// The size the resize step gives an image of `width` × `height` (unchanged when resizing is off).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        guard doResize else { return (width, height) }
        switch resizeTarget {
        case .exact(let targetHeight, let targetWidth):
            return (targetWidth, targetHeight)
        case .shortestEdge(let edge):
            let short = min(width, height), long = max(width, height)
            guard short > 0, short != edge else { return (width, height) }
            let newLong = Int(Double(edge * long) / Double(short))
            return width <= height ? (edge, newLong) : (newLong, edge)
        }
    }
}
