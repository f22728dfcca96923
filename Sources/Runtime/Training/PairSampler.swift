/// Decides the order of pairs and the caption of each image for every epoch, from the seed
/// alone: the same seed gives the same batches on any machine and thread count.
public struct PairSampler: Sendable {
    /// Caption candidates per image, in dataset order.
    public let captionCounts: [Int]
    /// The seed.
    public let seed: UInt64

    /// A sampler over images with `captionCounts[i]` candidate captions each.
    public init(captionCounts: [Int], seed: UInt64) {
        self.captionCounts = captionCounts
        self.seed = seed
    }

    /// The image order of `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch).
    public func order(epoch: Int) -> [Int] {
        var random = ProjectorRandom(seed: mix(seed, 0x0DE5_0000 &+ UInt64(epoch)))
        var order = Array(0..<captionCounts.count)
        if order.count < 2 { return order }
        for index in stride(from: order.count - 1, to: 0, by: -1) {
            let other = Int(random.next() % UInt64(index + 1))
            order.swapAt(index, other)
        }
        return order
    }

    /// Which of image `image`'s captions it is paired with in `epoch`.
    public func caption(image: Int, epoch: Int) -> Int {
        let count = captionCounts[image]
        guard count > 1 else { return 0 }
        var random = ProjectorRandom(seed: mix(mix(seed, 0xCA97_0000 &+ UInt64(epoch)), UInt64(image)))
        return Int(random.next() % UInt64(count))
    }

    private func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var random = ProjectorRandom(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15))
        return random.next()
    }
}
