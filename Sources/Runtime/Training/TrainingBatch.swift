/// The inputs of one training step, gathered from the embedding caches.
public struct TrainingBatch: Sendable {
    /// The number of pairs.
    public var count: Int
    /// Vision side: token states `[count, tokensPerImage, width]`, or pooled `[count, width]`.
    public var vision: [Float]
    /// Tokens per image (1 for pooled inputs).
    public var tokensPerImage: Int
    /// Text side: packed token states `[Σ textLengths, width]`, or pooled `[count, width]`.
    public var text: [Float]
    /// Token count of each caption (all 1 for pooled inputs).
    public var textLengths: [Int]

    /// Gathers the inputs of a step.
    public init(count: Int, vision: [Float], tokensPerImage: Int, text: [Float], textLengths: [Int]) {
        precondition(textLengths.count == count, "one text length per pair")
        self.count = count
        self.vision = vision
        self.tokensPerImage = tokensPerImage
        self.text = text
        self.textLengths = textLengths
    }
}
