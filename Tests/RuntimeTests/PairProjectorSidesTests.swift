import Foundation
import Testing
@testable import Runtime

@Suite("Pair projector sides on two threads")
struct PairProjectorSidesTests {
    @Test("forwardPooledPair and backwardPair equal the sequential passes", arguments: [BranchKind.linear, .mlp])
    func sidesMatchSequential(kind: BranchKind) throws {
        var architecture = ProjectorArchitecture.pooled(kind: kind, visionWidth: 24, textWidth: 20, outputWidth: 16)
        architecture.dropout = 0.2
        var split = try PairProjector(architecture: architecture, seed: 5)
        var sequential = split
        split.isTraining = true
        sequential.isTraining = true
        var random = ProjectorRandom(seed: 9)
        let batch = 6
        let vision = Tensor(shape: [batch, 24], scalars: (0..<(batch * 24)).map { _ in random.uniform(bound: 1) })
        let text = Tensor(shape: [batch, 20], scalars: (0..<(batch * 20)).map { _ in random.uniform(bound: 1) })
        let gradient = Tensor(shape: [batch, 16], scalars: (0..<(batch * 16)).map { _ in random.uniform(bound: 1) })

        let (image, caption) = split.forwardPooledPair(vision: vision, text: text)
        let expectedImage = sequential.forwardVision(pooled: vision)
        let expectedCaption = sequential.forwardText(pooled: text)
        #expect(maxDifference(image.scalars, expectedImage.scalars) < 1e-6)
        #expect(maxDifference(caption.scalars, expectedCaption.scalars) < 1e-6)

        split.backwardPair(imageGradient: gradient, textGradient: gradient)
        sequential.backwardVision(outputGradient: gradient)
        sequential.backwardText(outputGradient: gradient)
        for (a, b) in zip(split.parameters, sequential.parameters) {
            #expect(a.name == b.name)
            #expect(maxDifference(a.gradient, b.gradient) < 1e-5, "\(a.name)")
            #expect(a.value == b.value)
        }
        #expect(split.dropoutStates == sequential.dropoutStates)
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
