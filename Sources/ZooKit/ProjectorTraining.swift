import Foundation
import Registry
import Runtime

/// `zoo train`'s use-case: train a projector pair on a catalogued dataset of image-caption
/// pairs, with both frozen encoders' outputs taken from the caches (filled first where
/// missing), resumable after each epoch, and store it content-addressed in the catalog.
public enum ProjectorTraining {
    /// What to train.
    public struct Request: Sendable {
        /// The pair, `VISION+TEXT[@TAG]`; without a tag the next free `vN`.
        public var pair: PairReference
        /// The dataset's name (a pairs dataset).
        public var dataset: String
        /// The projector's architecture for the cached widths (vision, text).
        public var architecture: @Sendable (_ visionWidth: Int, _ textWidth: Int) throws -> ProjectorArchitecture
        /// Epochs, batch, learning rate, weight decay, seed; warm-up steps when ``warmupSteps``
        /// is nil are a tenth of all steps, at most 1,000.
        public var configuration: TrainingConfiguration
        /// Warm-up steps; nil for the default above.
        public var warmupSteps: Int?
        /// Whether the caches keep token states (a token projector needs them).
        public var usesTokens: Bool
        /// The caches' dtype.
        public var dtype: EmbeddingDType = .f32
        /// Items per encoder batch when filling the caches.
        public var embedBatch = 32
        /// Continue the interrupted run of this pair and tag.
        public var resume = false

        /// A request to train `pair` on `dataset`.
        public init(
            pair: PairReference, dataset: String, usesTokens: Bool, configuration: TrainingConfiguration,
            architecture: @escaping @Sendable (_ visionWidth: Int, _ textWidth: Int) throws -> ProjectorArchitecture
        ) {
            self.pair = pair
            self.dataset = dataset
            self.usesTokens = usesTokens
            self.configuration = configuration
            self.architecture = architecture
        }
    }

    /// What a finished run stored.
    public struct Outcome: Sendable {
        /// The stored projector with its encoders' names.
        public var entry: ProjectorEntry
        /// The architecture trained.
        public var architecture: ProjectorArchitecture
        /// Trainable parameters.
        public var parameterCount: Int
        /// One record per epoch.
        public var history: [EpochRecord]
    }

    /// Trains and stores the projector of `request`.
    ///
    /// - Throws: ``ZooError`` (a pair or dataset that does not fit: 64; a tag taken or too few
    ///   pairs: 65; unknown names: 66), or the reportable error of the failing layer.
    public static func run(zoo: ModelZoo, request: Request, progress: @escaping ProgressFactory = Progress.silent) throws -> Outcome {
        let reference = request.pair
        if let tag = reference.tag { try EncoderName.validate(tag, role: "tag") }
        let vision = try zoo.catalog.encoder(named: reference.vision)
        let text = try zoo.catalog.encoder(named: reference.text)
        guard vision.record.modality == .vision else {
            throw ZooError(.usage, "'\(reference.vision)' is a \(vision.record.modality.rawValue) encoder; the first half of a pair is the vision encoder")
        }
        guard text.record.modality == .text else {
            throw ZooError(.usage, "'\(reference.text)' is a \(text.record.modality.rawValue) encoder; the second half of a pair is the text encoder")
        }
        let finalTag = try reference.tag ?? zoo.catalog.nextProjectorTag(visionEncoderId: vision.record.id!, textEncoderId: text.record.id!)
        if try zoo.catalog.projectors(for: reference).contains(where: { $0.record.tag.lowercased() == finalTag.lowercased() }) {
            throw ZooError(.data, "\(vision.name)+\(text.name) already has a projector tagged '\(finalTag)'; choose another --tag or remove it with 'zoo projector remove'")
        }
        let dataset = try zoo.catalog.dataset(named: request.dataset)
        guard dataset.task == DatasetTask.pairs.rawValue else {
            throw ZooError(.usage, "dataset '\(dataset.name)' is a \(dataset.task) dataset; training needs pairs (add it with --captions-from-labels TEMPLATES to make pairs from labels)")
        }
        let reader = try DatasetOpening.reader(dataset)
        let contents = try Embedding.contents(zoo: zoo, dataset: dataset, reader: reader)
        let settings = Embedding.Settings(
            tokens: request.usesTokens, dtype: request.dtype, batch: request.embedBatch,
            skipBad: DatasetOptions.parse(dataset.options).skipBad, progress: progress)
        let images = try ZooLog.timed("embed images of '\(dataset.name)'") {
            try Embedding.images(zoo: zoo, encoder: vision, dataset: dataset, reader: reader, contents: contents, settings: settings)
        }
        let captions = try ZooLog.timed("embed captions of '\(dataset.name)'") {
            try Embedding.texts(zoo: zoo, encoder: text, texts: contents.uniqueCaptions, settings: settings, label: "captions of '\(dataset.name)'")
        }
        // Images that failed to decode (with --skip-bad) are left out of training.
        let kept = contents.ids.indices.filter { images.cache.contains(contents.ids[$0]) }
        let pairs = try CachedPairData(
            visionCache: images.cache, textCache: captions.cache, imageIDs: kept.map { contents.ids[$0] },
            captions: kept.map { contents.captions[$0] }, usesTokens: request.usesTokens)

        let architecture = try request.architecture(pairs.visionWidth, pairs.textWidth)
        var configuration = request.configuration
        let totalSteps = configuration.stepsPerEpoch(pairs: pairs.count) * configuration.epochs
        configuration.warmupSteps = request.warmupSteps ?? min(1000, totalSteps / 10)
        guard configuration.stepsPerEpoch(pairs: pairs.count) > 0 else {
            throw ZooError(.data, "dataset '\(dataset.name)' has \(pairs.count) usable pairs, too few for one step; lower --batch or add data")
        }

        let run = TrainingRun(
            folder: zoo.home.runsURL.appendingPathComponent("\(vision.name)+\(text.name)@\(finalTag)".replacingOccurrences(of: "/", with: "_")),
            architecture: architecture, configuration: configuration, dataset: dataset.name,
            idsDigest: ContentHash.sha256(kept.map { contents.ids[$0] }.joined(separator: "\n")))
        var trainer = try run.start(resume: request.resume, pairs: pairs.count)
        while trainer.completedEpochs < configuration.epochs {
            let epoch = trainer.completedEpochs
            let bar = progress("epoch \(epoch + 1)/\(configuration.epochs)", trainer.stepsPerEpoch, "steps")
            let started = Date()
            let record = try ZooLog.timed("epoch \(epoch + 1)/\(configuration.epochs)") {
                try trainer.trainEpoch(data: pairs) { step in
                    bar.update(
                        done: step.step, seconds: Date().timeIntervalSince(started),
                        extra: String(format: "loss %.4f lr %.2e T %.4f %.0f pairs/s", step.loss, step.learningRate, step.temperature, step.pairsPerSecond))
                }
            }
            try run.save(trainer)
            bar.finish(String(
                format: "epoch %d/%d: loss %.4f, lr %.2e, temperature %.4f, %.0f pairs/s, %.1f s",
                record.epoch, configuration.epochs, record.loss, record.learningRate, record.temperature, record.pairsPerSecond, record.seconds))
        }
        let stored = try run.finish(trainer, zoo: zoo, vision: vision, text: text, tag: finalTag, pairs: pairs, contents: contents, captionsCount: contents.uniqueCaptions.count)
        return Outcome(
            entry: ProjectorEntry(record: stored, visionName: vision.name, textName: text.name), architecture: architecture,
            parameterCount: trainer.projector.parameterCount, history: trainer.history)
    }
}
