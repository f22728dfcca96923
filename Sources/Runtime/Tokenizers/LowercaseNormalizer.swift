/// Hugging Face's `Lowercase` normalizer: the full, context-free lowercase mapping of every
/// scalar.
struct LowercaseNormalizer: TextNormalizer {
    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte < 0x80 {
                let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                output.append(isUpper ? byte + 32 : byte)
                index += 1
                continue
            }
            let (value, length) = UTF8Scalars.decode(text, at: index)
            index += length
            guard let scalar = Unicode.Scalar(value) else { continue }
            for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                UTF8Scalars.append(lowered.value, to: &output)
            }
        }
        return output
    }
}
