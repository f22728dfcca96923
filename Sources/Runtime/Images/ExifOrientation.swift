/// The EXIF orientation tag (0x0112): how the stored pixels must be turned for display.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    /// Stored upright.
    case up = 1
    /// Mirrored left to right.
    case upMirrored = 2
    /// Upside down (rotate 180°).
    case down = 3
    /// Mirrored top to bottom.
    case downMirrored = 4
    /// Transposed (mirror across the main diagonal).
    case leftMirrored = 5
    /// Rotate 90° clockwise to display (PIL `ROTATE_270`).
    case right = 6
    /// Transversed (mirror across the anti-diagonal).
    case rightMirrored = 7
    /// Rotate 90° counter-clockwise to display (PIL `ROTATE_90`).
    case left = 8

    /// Whether displaying swaps width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }

    /// The value of the orientation tag in a TIFF-structured EXIF block (up to two leading
    /// `Exif\0\0` prefixes are skipped, as PIL does), or `nil` when the block is malformed or IFD0
    /// has no single-valued integer orientation tag.
    static func tagValue(tiff block: some Collection<UInt8>) -> Int? {
        var bytes = Array(block)[...]
        let prefix = Array("Exif\u{0}\u{0}".utf8)
        for _ in 0..<2 where bytes.starts(with: prefix) { bytes = bytes.dropFirst(6) }
        return TIFFReader(bytes: Array(bytes))?.orientation()
    }

    /// The orientation PIL reads from XMP when EXIF has none: the first `tiff:Orientation` followed
    /// by `="` or `>` and a digit.
    static func xmpValue(_ xmp: some Collection<UInt8>) -> Int? {
        let bytes = Array(xmp)
        func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        let key = Array("tiff:Orientation".utf8)
        var searchFrom = 0
        while let found = bytes[searchFrom...].firstRange(of: key) {
            searchFrom = found.lowerBound + 1
            var next = found.upperBound
            if byte(next) == UInt8(ascii: "="), byte(next + 1) == UInt8(ascii: "\"") {
                next += 2
            } else if byte(next) == UInt8(ascii: ">") {
                next += 1
            } else {
                continue
            }
            if let digit = byte(next), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                return Int(digit - UInt8(ascii: "0"))
            }
        }
        return nil
    }
}

/// Just enough TIFF to read one tag from IFD0.
private struct TIFFReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    init?(bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): bigEndian = false
        case (0x4D, 0x4D): bigEndian = true
        default: return nil
        }
        self.bytes = bytes
        guard word(at: 2) == 42 else { return nil }
    }

    /// The orientation tag's value in IFD0; `nil` when absent, not an integer type or not a single value.
    func orientation() -> Int? {
        guard let ifd = long(at: 4).map(Int.init), let count = word(at: ifd).map(Int.init) else { return nil }
        for index in 0..<count {
            let entry = ifd + 2 + 12 * index
            guard let tag = word(at: entry), let type = word(at: entry + 2) else { return nil }
            guard tag == 0x0112 else { continue }
            guard long(at: entry + 4) == 1 else { return nil }
            switch type {
            case 1: return entry + 8 < bytes.count ? Int(bytes[entry + 8]) : nil
            case 3: return word(at: entry + 8).map { Int($0) }
            case 4: return long(at: entry + 8).map { Int($0) }
            default: return nil
            }
        }
        return nil
    }

    func word(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let first = UInt16(bytes[offset]), second = UInt16(bytes[offset + 1])
        return bigEndian ? first << 8 | second : second << 8 | first
    }

    func long(at offset: Int) -> UInt32? {
        guard let first = word(at: offset), let second = word(at: offset + 2) else { return nil }
        return bigEndian ? UInt32(first) << 16 | UInt32(second) : UInt32(second) << 16 | UInt32(first)
    }
}
