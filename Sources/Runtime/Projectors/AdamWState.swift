/// What ``AdamW`` carries from step to step: the step count and, per parameter name, the first
/// and second moments. Save it with the weights to resume training bit for bit
/// (``ProjectorTrainingState`` does).
public struct AdamWState: Sendable, Equatable {
    /// The number of steps taken.
    public var step: Int
    /// m, by parameter name.
    public var firstMoments: [String: [Float]]
    /// v, by parameter name; the same names and lengths as ``firstMoments``.
    public var secondMoments: [String: [Float]]

    /// Creates a state; the default is a fresh optimiser's.
    public init(step: Int = 0, firstMoments: [String: [Float]] = [:], secondMoments: [String: [Float]] = [:]) {
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}
