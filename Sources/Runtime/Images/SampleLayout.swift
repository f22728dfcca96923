/// How a decoder's samples are laid out, each with PIL's rule (`Image.convert("RGB")`) for
/// turning them into 8-bit RGB.
enum SampleLayout: Equatable {
    /// 8-bit grey: copied into red, green and blue.
    case grey8
    /// 16-bit big-endian grey (PIL mode `I;16`): values above 255 are clipped to 255, not scaled.
    case grey16
    /// 8-bit grey and alpha: the alpha is dropped without compositing.
    case greyAlpha8
    /// 16-bit big-endian grey and alpha: the high byte of grey is kept, alpha dropped.
    case greyAlpha16
    /// 8-bit RGB.
    case rgb8
    /// 16-bit big-endian RGB: the high byte of each sample is kept.
    case rgb16
    /// 8-bit RGBA: alpha dropped.
    case rgba8
    /// 16-bit big-endian RGBA: high bytes kept, alpha dropped.
    case rgba16
    /// One byte a pixel indexing `palette` (RGB triples); indices past its end read as black, as in
    /// PIL.
    case palette([UInt8])
    /// Four bytes a pixel of Adobe-inverted CMYK (stored value = 255 - ink), PIL's `CMYK;I`.
    case invertedCMYK

    /// Bytes one pixel takes.
    var bytesPerPixel: Int {
        switch self {
        case .grey8, .palette: return 1
        case .grey16, .greyAlpha8: return 2
        case .rgb8: return 3
        case .greyAlpha16, .rgba8, .invertedCMYK: return 4
        case .rgb16: return 6
        case .rgba16: return 8
        }
    }
}
