import Foundation

/// Trains a ``PairProjector`` with the symmetric InfoNCE loss, AdamW and a warm-up + cosine
/// schedule, one epoch at a time, on inputs from a ``CachedPairData``.
///
/// Everything random (initialisation, order, captions, dropout) derives from the configuration's
/// seed and the epoch number, so a run resumed from an epoch checkpoint continues exactly as an
/// uninterrupted one would, and the same seed and thread count give the same weights.
public struct ProjectorTrainer: Sendable {
    /// The projector being trained.
    public internal(set) var projector: PairProjector
    /// The loss, holding the temperature.
    public internal(set) var loss: ContrastiveLoss
    /// The optimiser, holding the moments.
    public internal(set) var optimizer: AdamW
    /// The architecture.
    public let architecture: ProjectorArchitecture
    /// The settings.
    public let configuration: TrainingConfiguration
    /// Steps per epoch.
    public let stepsPerEpoch: Int
    /// Epochs finished.
    public internal(set) var completedEpochs = 0
    /// Steps taken in all.
    public internal(set) var step = 0
    /// One record per finished epoch.
    public internal(set) var history: [EpochRecord] = []

    /// A fresh run over `pairs` training pairs per epoch.
    ///
    /// - Throws: ``TrainingError/mismatch(_:)`` when the architecture is not valid.
    public init(architecture: ProjectorArchitecture, configuration: TrainingConfiguration, pairs: Int) throws(TrainingError) {
        self.architecture = architecture
        self.configuration = configuration
        stepsPerEpoch = configuration.stepsPerEpoch(pairs: pairs)
        do { projector = try PairProjector(architecture: architecture, seed: configuration.seed) } catch {
            throw .mismatch("\(error)")
        }
        loss = ContrastiveLoss(temperature: configuration.temperature)
        optimizer = AdamW(weightDecay: configuration.weightDecay)
    }

    /// Resumes the run whose state after its last finished epoch is in `checkpoint` (written by
    /// ``saveCheckpoint(to:)``).
    ///
    /// - Throws: ``TrainingError/checkpoint(_:)`` when the file is unreadable or holds another
    ///   architecture.
    public init(checkpoint: URL, architecture: ProjectorArchitecture, configuration: TrainingConfiguration, pairs: Int) throws(TrainingError) {
        let state: ProjectorTrainingState
        do { state = try ProjectorTrainingState(contentsOf: checkpoint) } catch {
            throw .checkpoint("cannot resume from '\(checkpoint.path)': \(error)")
        }
        guard state.projector.architecture == architecture else {
            throw .checkpoint("'\(checkpoint.path)' holds a projector of another architecture (\(state.projector.architecture.jsonString))")
        }
        guard let epochs = state.counters["completed_epochs"].flatMap(Int.init), let step = state.counters["step"].flatMap(Int.init),
              epochs >= 0, step >= 0
        else { throw .checkpoint("'\(checkpoint.path)' has no valid 'completed_epochs' and 'step' counters") }
        let history: [EpochRecord]
        do { history = try JSONDecoder().decode([EpochRecord].self, from: Data((state.counters["history"] ?? "[]").utf8)) } catch {
            throw .checkpoint("'\(checkpoint.path)' has an unreadable 'history' counter: \(error)")
        }
        self.architecture = architecture
        self.configuration = configuration
        stepsPerEpoch = configuration.stepsPerEpoch(pairs: pairs)
        projector = state.projector
        loss = ContrastiveLoss(temperature: configuration.temperature)
        loss.logitScale.value[0] = state.logitScale
        optimizer = AdamW(state: state.optimizer, weightDecay: configuration.weightDecay)
        completedEpochs = epochs
        self.step = step
        self.history = history
    }

    /// Writes the state after the last finished epoch to `url`, atomically: weights, dropout
    /// generators, temperature, optimiser moments, counters and history.
    public func saveCheckpoint(to url: URL) throws(TrainingError) {
        let historyText: String
        do { historyText = String(decoding: try JSONEncoder.sortedKeys.encode(history), as: UTF8.self) } catch {
            throw .checkpoint("cannot encode the training history: \(error)")
        }
        let state = ProjectorTrainingState(
            projector: projector, logitScale: loss.logitScale.value[0], optimizer: optimizer.state,
            counters: ["completed_epochs": String(completedEpochs), "step": String(step), "history": historyText])
        do { try state.write(to: url) } catch {
            throw .checkpoint("cannot write the epoch checkpoint: \(error); the previous one is intact")
        }
    }

    /// The learning-rate schedule over the whole run.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(
            startRate: configuration.startRate, peakRate: configuration.learningRate, finalRate: configuration.finalRate,
            warmupSteps: configuration.warmupSteps, totalSteps: configuration.epochs * stepsPerEpoch)
    }

    /// Runs the next epoch.
    ///
    /// - Throws: ``TrainingError/nonFinite(epoch:step:loss:)`` when the loss is NaN or infinite;
    ///   the trainer is then mid-epoch and should be discarded (the last checkpoint is good).
    @discardableResult
    public mutating func trainEpoch(data: CachedPairData, progress: (StepProgress) -> Void = { _ in }) throws(TrainingError) -> EpochRecord {
        guard data.usesTokens == (architecture.input == .tokens) else {
            throw .mismatch("the data carries \(data.usesTokens ? "token states" : "pooled embeddings") but the projector reads \(architecture.input.rawValue)")
        }
        guard data.visionWidth == architecture.visionWidth, data.textWidth == architecture.textWidth else {
            throw .mismatch("the cached widths (vision \(data.visionWidth), text \(data.textWidth)) do not fit the projector (vision \(architecture.visionWidth), text \(architecture.textWidth))")
        }
        let epoch = completedEpochs
        let sampler = PairSampler(captionCounts: data.captionCounts, seed: configuration.seed)
        let order = sampler.order(epoch: epoch)
        projector.isTraining = true
        defer { projector.isTraining = false }
        let start = Date()
        var lossSum = 0.0
        var rate: Float = 0
        var pairsDone = 0
        for index in 0..<stepsPerEpoch {
            let first = index * configuration.batchSize
            let indices = Array(order[first..<min(first + configuration.batchSize, order.count)])
            let batch = data.batch(images: indices) { sampler.caption(image: $0, epoch: epoch) }
            rate = schedule.rate(at: step)
            let value = try trainStep(batch, learningRate: rate, epoch: epoch, stepInEpoch: index + 1)
            lossSum += Double(value)
            pairsDone += batch.count
            step += 1
            let elapsed = max(Date().timeIntervalSince(start), 1e-9)
            progress(StepProgress(
                epoch: epoch, step: index + 1, stepsPerEpoch: stepsPerEpoch, loss: value, learningRate: rate,
                temperature: loss.temperature, pairsPerSecond: Double(pairsDone) / elapsed))
        }
        let seconds = Date().timeIntervalSince(start)
        let record = EpochRecord(
            epoch: epoch + 1, loss: lossSum / Double(max(stepsPerEpoch, 1)), learningRate: rate,
            temperature: loss.temperature, steps: stepsPerEpoch, seconds: seconds,
            pairsPerSecond: Double(pairsDone) / max(seconds, 1e-9))
        completedEpochs += 1
        history.append(record)
        return record
    }

    /// One optimisation step on `batch` (dropout on); returns its loss.
    public mutating func trainStep(_ batch: TrainingBatch, learningRate: Float, epoch: Int = 0, stepInEpoch: Int = 0) throws(TrainingError) -> Float {
        projector.isTraining = true
        projector.zeroGradients()
        loss.logitScale.zeroGradient()
        let image: Tensor
        let text: Tensor
        switch architecture.input {
        case .tokens:
            image = projector.forwardVision(tokens: batch.vision)
            text = projector.forwardText(tokens: batch.text, lengths: batch.textLengths)
        case .pooled:
            (image, text) = projector.forwardPooledPair(vision: batch.vision, text: batch.text)
        }
        let result = loss.evaluate(image: image, text: text)
        guard result.loss.isFinite else { throw .nonFinite(epoch: epoch, step: stepInEpoch, loss: result.loss) }
        if architecture.input == .pooled {
            projector.backwardPair(imageGradient: result.imageGradient, textGradient: result.textGradient)
        } else {
            projector.backwardVision(outputGradient: result.imageGradient)
            projector.backwardText(outputGradient: result.textGradient)
        }
        projector.step(optimizer: &optimizer, loss: &loss, learningRate: learningRate)
        return result.loss
    }
}
