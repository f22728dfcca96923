/// Hugging Face's `Sequence` normalizer: several normalizers applied in order.
struct NormalizerSequence: TextNormalizer {
    /// The normalizers, first applied first.
    let normalizers: [any TextNormalizer]

    func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var current = Array(text)
        for normalizer in normalizers {
            current = normalizer.normalize(current)
        }
        return current
    }
}
