/// The fields of `preprocessor_config.json` that ``ImagePreprocessorConfiguration`` reads, as written.
struct RawPreprocessorConfig: Decodable {
    /// `size` / `crop_size`: one number, or an object such as `{"shortest_edge": 256}`.
    enum SizeField: Decodable {
        case square(Int)
        case fields([String: Int?])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let side = try? container.decode(Int.self) {
                self = .square(side)
            } else {
                self = .fields(try container.decode([String: Int?].self))
            }
        }
    }

    /// `image_mean` / `image_std`: one number for every channel, or a list.
    enum ChannelValues: Decodable {
        case single(Double)
        case perChannel([Double])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Double.self) {
                self = .single(value)
            } else {
                self = .perChannel(try container.decode([Double].self))
            }
        }
    }

    var doResize: Bool?
    var size: SizeField?
    var resample: Int?
    var doCenterCrop: Bool?
    var cropSize: SizeField?
    var doRescale: Bool?
    var rescaleFactor: Double?
    var doNormalize: Bool?
    var imageMean: ChannelValues?
    var imageStd: ChannelValues?
    var doConvertRGB: Bool?
    var imageProcessorType: String?

    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize", size, resample, doCenterCrop = "do_center_crop", cropSize = "crop_size"
        case doRescale = "do_rescale", rescaleFactor = "rescale_factor", doNormalize = "do_normalize"
        case imageMean = "image_mean", imageStd = "image_std", doConvertRGB = "do_convert_rgb"
        case imageProcessorType = "image_processor_type"
    }
}
