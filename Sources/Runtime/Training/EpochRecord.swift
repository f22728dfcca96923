/// What one training epoch did; the catalog keeps the list as the projector's history.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// The epoch, from 1.
    public var epoch: Int
    /// Mean loss over the epoch's steps.
    public var loss: Double
    /// The learning rate of the epoch's last step.
    public var learningRate: Float
    /// The temperature after the epoch.
    public var temperature: Float
    /// Steps taken.
    public var steps: Int
    /// Wall time of the epoch.
    public var seconds: Double
    /// Training pairs per second.
    public var pairsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case epoch, loss, temperature, steps, seconds
        case learningRate = "lr"
        case pairsPerSecond = "pairs_per_second"
    }
}

/// Progress of one step, for progress bars.
public struct StepProgress: Sendable {
    /// The epoch, from 0.
    public var epoch: Int
    /// The step within the epoch, from 1.
    public var step: Int
    /// Steps in the epoch.
    public var stepsPerEpoch: Int
    /// This step's loss.
    public var loss: Float
    /// This step's learning rate.
    public var learningRate: Float
    /// The temperature after the step.
    public var temperature: Float
    /// Pairs per second so far in the epoch.
    public var pairsPerSecond: Double
}
