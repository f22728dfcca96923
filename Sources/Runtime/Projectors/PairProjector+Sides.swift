import Foundation

/// Training passes that run the vision and the text side on two threads at once.
///
/// The two sides share no parameters and meet only in the loss, so on two or more compute
/// threads each side runs on its own thread with single-threaded BLAS. For pooled projectors,
/// whose products are small, this beats one multi-threaded GEMM at a time, whose fork and join
/// cost more than the work (batches under 512). Results are identical to the sequential passes: each side does the
/// same arithmetic in the same order, on one thread either way.
extension PairProjector {
    /// Both forward passes on pooled input (see ``forwardVision(pooled:)`` and
    /// ``forwardText(pooled:)``), side by side when two threads are available.
    public mutating func forwardPooledPair(vision: Tensor, text: Tensor) -> (image: Tensor, text: Tensor) {
        guard Self.runsSidesConcurrently(batch: vision.dimension(0)) else {
            return (forwardVision(pooled: vision), forwardText(pooled: text))
        }
        let sides = splitSides()
        Self.onTwoThreads(
            { sides.imageOutput = sides.vision.forwardVision(pooled: vision) },
            { sides.textOutput = sides.text.forwardText(pooled: text) })
        let outputs = (image: sides.imageOutput, text: sides.textOutput)
        joinSides(sides)
        return outputs
    }

    /// Both backward passes (see ``backwardVision(outputGradient:)`` and
    /// ``backwardText(outputGradient:)``), side by side when two threads are available.
    public mutating func backwardPair(imageGradient: Tensor, textGradient: Tensor) {
        guard let batch = visionBatch, Self.runsSidesConcurrently(batch: batch) else {
            backwardVision(outputGradient: imageGradient)
            backwardText(outputGradient: textGradient)
            return
        }
        let sides = splitSides()
        Self.onTwoThreads(
            { sides.vision.backwardVision(outputGradient: imageGradient) },
            { sides.text.backwardText(outputGradient: textGradient) })
        joinSides(sides)
    }

    /// Side by side pays off for small batches; from 512 pairs on, multi-threaded products
    /// are as fast (measured on 2 cores: docs/PERFORMANCE.md).
    private static func runsSidesConcurrently(batch: Int) -> Bool {
        batch < 512 && ComputeThreads.count >= 2 && !ComputeThreads.isInsideParallelRegion
    }

    /// Moves the vision components into one projector and the text components into another,
    /// leaving placeholders here, so each side is uniquely held and changes in place.
    private mutating func splitSides() -> Sides {
        let placeholder = ProjectorBranch.placeholder
        var vision = self
        var text = self
        visionLocal = placeholder
        visionCLS = placeholder
        textToken = placeholder
        textHead = nil
        vision.textToken = placeholder
        vision.textHead = nil
        text.visionLocal = placeholder
        text.visionCLS = placeholder
        return Sides(vision: vision, text: text)
    }

    /// Moves the components back from ``splitSides()``.
    private mutating func joinSides(_ sides: Sides) {
        visionLocal = sides.vision.visionLocal
        visionCLS = sides.vision.visionCLS
        visionBatch = sides.vision.visionBatch
        textToken = sides.text.textToken
        textHead = sides.text.textHead
        textBatch = sides.text.textBatch
        sides.release()
    }

    /// Runs the two closures on two threads with single-threaded BLAS and waits for both.
    private static func onTwoThreads(_ first: () -> Void, _ second: () -> Void) {
        ComputeThreads.withSingleThreadedBLAS {
            ParallelRows.run(workers: 2) { worker in
                if worker == 0 { first() } else { second() }
            }
        }
    }
}

/// The two halves of a split projector and their outputs, each half and its output used by
/// one thread only.
private final class Sides: @unchecked Sendable {
    var vision: PairProjector
    var text: PairProjector
    var imageOutput = Tensor(shape: [0])
    var textOutput = Tensor(shape: [0])

    init(vision: PairProjector, text: PairProjector) {
        self.vision = vision
        self.text = text
    }

    /// Drops the halves' references so the joined projector holds its buffers uniquely.
    func release() {
        vision = text
        let placeholder = ProjectorBranch.placeholder
        vision.visionLocal = placeholder
        vision.visionCLS = placeholder
        vision.textToken = placeholder
        vision.textHead = nil
        text = vision
    }
}
