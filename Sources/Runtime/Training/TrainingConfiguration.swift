/// The settings of one projector training run. Defaults are the paper's where it gives them
/// (lr 1e-3, weight decay 0.02, warm-up from 1e-5, cosine to 1e-5, temperature 0.07).
///
/// Encoded as JSON with sorted keys into the catalog's `training_config`.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// Passes over the data.
    public var epochs: Int = 10
    /// Pairs per step (the contrastive batch).
    public var batchSize: Int = 256
    /// Peak learning rate after warm-up.
    public var learningRate: Float = 1e-3
    /// Decoupled weight decay on matrices (not on biases, norms or the temperature).
    public var weightDecay: Float = 0.02
    /// Linear warm-up steps from ``startRate`` to ``learningRate``.
    public var warmupSteps: Int = 1000
    /// The learning rate at step 0.
    public var startRate: Float = 1e-5
    /// The learning rate the cosine reaches at the last step.
    public var finalRate: Float = 1e-5
    /// The initial temperature.
    public var temperature: Float = 0.07
    /// Seeds initialisation, shuffling, caption choice and dropout.
    public var seed: UInt64 = 0

    /// The paper's defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, seed, temperature
        case batchSize = "batch_size"
        case learningRate = "lr"
        case weightDecay = "weight_decay"
        case warmupSteps = "warmup_steps"
        case startRate = "start_lr"
        case finalRate = "final_lr"
    }

    /// Steps per epoch for `pairs` training pairs: full batches, plus the last partial one when
    /// it holds at least two pairs (a contrastive batch of one has no negatives).
    public func stepsPerEpoch(pairs: Int) -> Int {
        let full = pairs / batchSize
        return full + (pairs % batchSize >= 2 ? 1 : 0)
    }
}
