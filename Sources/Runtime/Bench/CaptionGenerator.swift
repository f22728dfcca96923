/// A fixed, reproducible set of image-caption-like sentences of 6–20 words, used by
/// `zoo bench encode` and by `scripts/peer_bench.py` (which reads them from zoo) so that
/// both sides encode exactly the same text.
public struct CaptionGenerator: Sendable {
    private static let subjects = [
        "a dog", "two cats", "an old man", "a young woman", "a red car", "a small boat", "three children",
        "a brown horse", "a cyclist", "a street vendor", "a wooden chair", "a pair of sneakers", "a leather bag",
        "a striped shirt", "a wool coat", "a black dress", "an airplane", "a flock of birds", "a chef", "a teddy bear",
    ]
    private static let verbs = [
        "is sitting on", "is running across", "stands next to", "is lying under", "walks along", "is parked near",
        "is floating on", "is looking at", "rests against", "is hanging above", "jumps over", "is displayed in",
    ]
    private static let places = [
        "a crowded market", "the sandy beach", "a quiet street", "an empty kitchen", "the green park",
        "a snowy mountain", "a busy train station", "the wooden table", "a shop window", "a muddy field",
        "the old bridge", "a white wall", "a city square", "the river bank", "a dark forest",
    ]
    private static let tails = [
        "on a sunny afternoon", "while it is raining", "in the early morning", "under bright studio lights",
        "with a blurry background", "next to a blue bicycle", "surrounded by tall trees", "during a busy festival",
        "in black and white", "seen from above", "close to the camera", "with people walking by",
    ]
    private static let adjectives = ["bright", "cozy", "dusty", "elegant", "faded", "gentle", "huge", "quiet", "rusty", "vivid"]

    private var state: UInt64

    /// A generator whose sequence depends only on `seed`.
    public init(seed: UInt64 = 2024) { state = seed }

    /// The first `count` captions of the sequence.
    public static func captions(count: Int, seed: UInt64 = 2024) -> [String] {
        var generator = CaptionGenerator(seed: seed)
        return (0..<count).map { _ in generator.next() }
    }

    /// The next caption.
    public mutating func next() -> String {
        var words: [String] = []
        words += pick(Self.subjects).split(separator: " ").map(String.init)
        words += pick(Self.verbs).split(separator: " ").map(String.init)
        words += pick(Self.places).split(separator: " ").map(String.init)
        let extra = Int(random() % 3)
        for _ in 0..<extra where words.count < 17 {
            words += pick(Self.tails).split(separator: " ").map(String.init)
        }
        if words.count < 20, random() % 2 == 0 {
            words.insert(pick(Self.adjectives), at: 1)
        }
        if words.count > 20 { words = Array(words.prefix(20)) }
        var caption = words.joined(separator: " ")
        caption = caption.prefix(1).uppercased() + caption.dropFirst()
        return caption + "."
    }

    private mutating func pick(_ list: [String]) -> String { list[Int(random() % UInt64(list.count))] }

    /// SplitMix64.
    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
