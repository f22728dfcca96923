import Foundation

extension ImagePreprocessorConfiguration {
    /// Reads a Hugging Face `preprocessor_config.json`.
    public init(contentsOf url: URL) throws(ImagePreprocessorConfigError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(json: data, file: url.path)
    }

    /// Parses the JSON of a `preprocessor_config.json`; `file` names it in errors. Unknown fields
    /// are ignored; missing ones take the defaults of its `image_processor_type`
    /// (``defaults(processorType:)``).
    public init(json: Data, file: String) throws(ImagePreprocessorConfigError) {
        let raw: RawPreprocessorConfig
        do {
            raw = try JSONDecoder().decode(RawPreprocessorConfig.self, from: json)
        } catch let error as DecodingError {
            throw .invalid(file: file, reason: Self.describe(error))
        } catch {
            throw .invalid(file: file, reason: "\(error)")
        }
        let defaults = Self.defaults(processorType: raw.imageProcessorType)
        let target = try Self.resizeTarget(raw.size, file: file) ?? defaults.resizeTarget
        let crop = try Self.cropSize(raw.cropSize, file: file) ?? (defaults.cropHeight, defaults.cropWidth)
        let resample = try Self.filter(raw.resample, file: file) ?? defaults.resample
        let mean = try Self.channels(raw.imageMean, field: "image_mean", file: file) ?? defaults.imageMean
        let std = try Self.channels(raw.imageStd, field: "image_std", file: file) ?? defaults.imageStd
        guard !std.contains(0) else { throw .invalid(file: file, reason: "image_std has a zero") }
        self.init(
            doResize: raw.doResize ?? defaults.doResize, resizeTarget: target, resample: resample,
            doCenterCrop: raw.doCenterCrop ?? defaults.doCenterCrop, cropHeight: crop.0, cropWidth: crop.1,
            doRescale: raw.doRescale ?? defaults.doRescale, rescaleFactor: raw.rescaleFactor ?? defaults.rescaleFactor,
            doNormalize: raw.doNormalize ?? defaults.doNormalize, imageMean: mean, imageStd: std,
            doConvertRGB: raw.doConvertRGB ?? defaults.doConvertRGB)
    }

    /// What transformers' image processor of `type` does where its config is silent:
    /// `SiglipImageProcessor` resizes to 224 × 224 (bilinear) without a crop and normalizes with
    /// mean and deviation 0.5; `BitImageProcessor`, `CLIPImageProcessor` and any other type
    /// resize the shortest edge to 224 (bicubic), crop 224 and use CLIP's mean and deviation.
    public static func defaults(processorType type: String?) -> ImagePreprocessorConfiguration {
        guard let type, type.hasPrefix("SiglipImageProcessor") else { return ImagePreprocessorConfiguration() }
        return ImagePreprocessorConfiguration(
            resizeTarget: .exact(height: 224, width: 224), resample: .bilinear, doCenterCrop: false,
            imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])
    }

    private static func resizeTarget(
        _ size: RawPreprocessorConfig.SizeField?, file: String
    ) throws(ImagePreprocessorConfigError) -> ResizeTarget? {
        switch size {
        case nil:
            return nil
        case .square(let edge):
            guard edge > 0 else { throw .invalid(file: file, reason: "size must be positive") }
            return .shortestEdge(edge)
        case .fields(let fields):
            let present = fields.compactMapValues { $0 }
            if present.keys.contains("longest_edge") || present.keys.contains("max_height") {
                throw .unsupported(file: file, reason: "size \(present) (only shortest_edge or height + width)")
            }
            if let edge = present["shortest_edge"] {
                guard edge > 0 else { throw .invalid(file: file, reason: "size.shortest_edge must be positive") }
                return .shortestEdge(edge)
            }
            if let height = present["height"], let width = present["width"] {
                guard height > 0, width > 0 else { throw .invalid(file: file, reason: "size must be positive") }
                return .exact(height: height, width: width)
            }
            throw .unsupported(file: file, reason: "size \(present) (only shortest_edge or height + width)")
        }
    }

    private static func cropSize(
        _ size: RawPreprocessorConfig.SizeField?, file: String
    ) throws(ImagePreprocessorConfigError) -> (Int, Int)? {
        switch size {
        case nil:
            return nil
        case .square(let side):
            guard side > 0 else { throw .invalid(file: file, reason: "crop_size must be positive") }
            return (side, side)
        case .fields(let fields):
            guard let height = fields["height"] ?? nil, let width = fields["width"] ?? nil else {
                throw .invalid(file: file, reason: "crop_size needs height and width")
            }
            guard height > 0, width > 0 else { throw .invalid(file: file, reason: "crop_size must be positive") }
            return (height, width)
        }
    }

    private static func filter(_ code: Int?, file: String) throws(ImagePreprocessorConfigError) -> ResampleFilter? {
        guard let code else { return nil }
        guard let filter = ResampleFilter(rawValue: code) else {
            throw .unsupported(
                file: file, reason: "resample \(code) (supported: 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)")
        }
        return filter
    }

    private static func channels(
        _ values: RawPreprocessorConfig.ChannelValues?, field: String, file: String
    ) throws(ImagePreprocessorConfigError) -> [Double]? {
        switch values {
        case nil: return nil
        case .single(let value): return [value, value, value]
        case .perChannel(let list):
            guard list.count == 3 else {
                throw .invalid(file: file, reason: "\(field) needs 3 values, has \(list.count)")
            }
            return list
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : keys.joined(separator: ".") + ": "
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            return path(context) + context.debugDescription
        @unknown default:
            return "\(error)"
        }
    }
}
