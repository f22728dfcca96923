/// Decoding and encoding of Unicode scalars in UTF-8 buffers that are known to be valid
/// (they come from Swift strings or from this module's own output).
enum UTF8Scalars {
    /// The scalar that starts at `index` and its length in bytes.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 {
            return (lead, 1)
        }
        if lead < 0xE0 {
            return (((lead & 0x1F) << 6) | UInt32(bytes[index + 1] & 0x3F), 2)
        }
        if lead < 0xF0 {
            let value = ((lead & 0x0F) << 12) | (UInt32(bytes[index + 1] & 0x3F) << 6)
                | UInt32(bytes[index + 2] & 0x3F)
            return (value, 3)
        }
        let value = ((lead & 0x07) << 18) | (UInt32(bytes[index + 1] & 0x3F) << 12)
            | (UInt32(bytes[index + 2] & 0x3F) << 6) | UInt32(bytes[index + 3] & 0x3F)
        return (value, 4)
    }

    /// The index where the scalar ending just before `end` starts.
    @inline(__always)
    static func start(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = end - 1
        while index > 0 && bytes[index] & 0xC0 == 0x80 {
            index -= 1
        }
        return index
    }

    /// Appends the UTF-8 encoding of `value` (a valid scalar value) to `output`.
    @inline(__always)
    static func append(_ value: UInt32, to output: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            output.append(UInt8(value))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (value >> 6)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (value >> 12)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (value >> 18)))
            output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    /// The number of scalars in `bytes`.
    @inline(__always)
    static func count(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 {
            count += 1
        }
        return count
    }
}
