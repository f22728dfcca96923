/// The inputs of one training step, gathered from the embedding caches.
public struct TrainingBatch: Sendable {
    /// The number of pairs.
    public var count: Int
    /// Vision side: token states `[count, tokensPerImage, width]`, or pooled `[count, width]`.
    public var vision: Tensor
    /// Text side: packed token states `[Σ textLengths, width]`, or pooled `[count, width]`.
    public var text: Tensor
    /// Token count of each caption (all 1 for pooled inputs).
    public var textLengths: [Int]

    /// Gathers the inputs of a step.
    ///
    /// - Precondition: `vision`'s first dimension and `textLengths` count the pairs, and the
    ///   lengths sum to `text`'s rows.
    public init(vision: Tensor, text: Tensor, textLengths: [Int]) {
        precondition(vision.rank >= 2 && vision.dimension(0) == textLengths.count, "TrainingBatch: \(textLengths.count) text lengths for vision input \(vision.shape)")
        precondition(text.rank == 2 && text.dimension(0) == textLengths.reduce(0, +), "TrainingBatch: text lengths sum to \(textLengths.reduce(0, +)) rows, text input is \(text.shape)")
        count = textLengths.count
        self.vision = vision
        self.text = text
        self.textLengths = textLengths
    }
}
