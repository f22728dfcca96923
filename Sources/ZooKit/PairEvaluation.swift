import Foundation
import Registry
import Runtime

/// `zoo eval`'s use-case: zero-shot classification or text→image retrieval of a trained pair on
/// a catalogued dataset, the embeddings taken from the caches (filled first where missing), the
/// run stored in the catalog.
///
/// Class embeddings are the mean of the normalised embeddings of each class's prompts (the
/// dataset's templates with the class name), normalised again, as CLIP_benchmark builds them.
public enum PairEvaluation {
    /// Which evaluation to run.
    public enum Task: String, Sendable, CaseIterable {
        /// The dataset's own task.
        case auto
        /// Zero-shot classification: acc1, acc5, mean per-class recall.
        case classification
        /// Text→image and image→text retrieval: recall@1/5/10.
        case retrieval
    }

    /// One class's top-1 recall.
    public struct ClassRecall: Encodable, Sendable, Equatable {
        /// The class name.
        public var name: String
        /// The fraction of the class's images whose top-1 prediction is the class.
        public var recall: Double
    }

    /// What one evaluation measured; it is also stored in the catalog.
    public struct Outcome: Sendable {
        /// The pair as `VISION+TEXT@TAG`.
        public var reference: String
        /// `VISION+TEXT`.
        public var pair: String
        /// The projector's tag.
        public var tag: String
        /// The dataset's name.
        public var dataset: String
        /// The task run.
        public var task: DatasetTask
        /// Images scored.
        public var items: Int
        /// The metrics by name (CLIP_benchmark's names).
        public var metrics: [String: Double]
        /// Per-class top-1 recall (classification only), in class order.
        public var perClassRecall: [ClassRecall]
        /// Wall time of the whole evaluation, cache filling included.
        public var seconds: Double
        /// Time spent projecting and scoring.
        public var scoringSeconds: Double
    }

    /// Evaluates `pair` on the dataset named `dataset` and stores the run.
    ///
    /// - Parameters:
    ///   - batch: Images or texts per encoder batch when filling the caches.
    ///   - progress: Reports each cache fill.
    /// - Throws: ``ZooError`` with the exit status (unknown pair or dataset 66, a task the
    ///   dataset cannot serve 64, bad data 65), or the reportable error of the failing layer.
    public static func run(
        zoo: ModelZoo, pair: PairReference, dataset: String, task: Task = .auto, batch: Int = 32,
        progress: @escaping ProgressFactory = Progress.silent
    ) throws -> Outcome {
        let started = Date()
        let entry = try zoo.catalog.projectorEntry(for: pair)
        let record = try zoo.catalog.dataset(named: dataset)
        let chosen = try resolve(task, record)
        let weights = zoo.store.folder(for: entry.record.checkpointDigest).appendingPathComponent("projector.safetensors")
        let projector: PairProjector
        do { projector = try PairProjector(contentsOf: weights) } catch {
            throw ZooError(.data, "cannot load the projector of \(entry.reference): \(error); run 'zoo verify'")
        }
        let vision = try zoo.catalog.encoder(named: entry.visionName)
        let text = try zoo.catalog.encoder(named: entry.textName)
        let reader = try DatasetOpening.reader(record)
        let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
        var settings = Embedding.Settings(
            tokens: projector.architecture.input == .tokens, dtype: .f32, batch: batch,
            skipBad: DatasetOptions.parse(record.options).skipBad)
        settings.progress = progress
        let images = try ZooLog.timed("embed images of '\(record.name)'") {
            try Embedding.images(zoo: zoo, encoder: vision, dataset: record, reader: reader, contents: contents, settings: settings)
        }
        let kept = contents.ids.indices.filter { images.cache.contains(contents.ids[$0]) }
        let scored: Scored
        if chosen == .classification {
            scored = try classify(zoo: zoo, record: record, reader: reader, contents: contents, kept: kept, images: images.cache, text: text, projector: projector, settings: settings)
        } else {
            scored = try retrieve(zoo: zoo, record: record, contents: contents, kept: kept, images: images.cache, text: text, projector: projector, settings: settings)
        }
        let seconds = Date().timeIntervalSince(started)
        let metricsText = String(decoding: try JSONEncoder.sortedKeys.encode(scored.metrics), as: UTF8.self)
        try zoo.catalog.addEvaluation(EvalRunRecord(
            projectorId: entry.record.id!, datasetId: record.id!, task: chosen.rawValue, metrics: metricsText,
            seconds: seconds, zooVersion: ZooVersion.current, createdAt: Date(), details: scored.details))
        return Outcome(
            reference: entry.reference, pair: "\(entry.visionName)+\(entry.textName)", tag: entry.record.tag, dataset: record.name,
            task: chosen, items: kept.count, metrics: scored.metrics, perClassRecall: scored.perClassRecall,
            seconds: seconds, scoringSeconds: scored.seconds)
    }

    /// Metrics, time and catalog details of one scoring.
    private struct Scored {
        var metrics: [String: Double]
        var seconds: Double
        var details: String?
        var perClassRecall: [ClassRecall] = []
    }

    /// What a classification run stores as its details.
    private struct ClassificationDetails: Encodable {
        var classNames: [String]
        var perClassRecall: [Double]
        var confusion: [[Int]]

        // Explicit: a key strategy would rewrite class names used as dictionary keys elsewhere.
        enum CodingKeys: String, CodingKey {
            case classNames = "class_names", perClassRecall = "per_class_recall", confusion
        }
    }

    private static func classify(
        zoo: ModelZoo, record: DatasetRecord, reader: any DatasetReader, contents: DatasetContents, kept: [Int],
        images: EmbeddingCache, text: EncoderEntry, projector: PairProjector, settings: Embedding.Settings
    ) throws -> Scored {
        guard let classNames = reader.classNames else {
            throw ZooError(.usage, "dataset '\(record.name)' has no class names; re-add it with --classnames FILE")
        }
        let templates = reader.templates ?? [LabelCaptioner.defaultTemplate]
        let prompts = classNames.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let captions = try ZooLog.timed("embed prompts of '\(record.name)'") {
            try Embedding.texts(zoo: zoo, encoder: text, texts: prompts, settings: settings, label: "prompts of '\(record.name)'")
        }
        var labels: [Int] = []
        for index in kept {
            guard let label = contents.labels[index] else {
                throw ZooError(.data, "item '\(contents.ids[index])' of '\(record.name)' has no label; classification needs one per item")
            }
            labels.append(label)
        }
        let start = Date()
        let imageMatrix = try CachedProjection.images(kept.map { contents.ids[$0] }, cache: images, projector: projector)
        let promptMatrix = try CachedProjection.texts(prompts, cache: captions.cache, projector: projector)
        let classes = promptMatrix.classEmbeddings(promptsPerClass: templates.count)
        let result = try ZooLog.timed("score \(labels.count) images against \(classNames.count) classes") {
            try Scorer.classificationResult(images: imageMatrix, classes: classes, labels: labels)
        }
        let details = try JSONEncoder.sortedKeys.encode(ClassificationDetails(
            classNames: classNames, perClassRecall: result.perClassRecall, confusion: result.confusion))
        return Scored(
            metrics: result.metrics, seconds: Date().timeIntervalSince(start), details: String(decoding: details, as: UTF8.self),
            perClassRecall: zip(classNames, result.perClassRecall).map { ClassRecall(name: $0, recall: $1) })
    }

    private static func retrieve(
        zoo: ModelZoo, record: DatasetRecord, contents: DatasetContents, kept: [Int],
        images: EmbeddingCache, text: EncoderEntry, projector: PairProjector, settings: Embedding.Settings
    ) throws -> Scored {
        var texts: [String] = []
        var textImage: [Int] = []
        for (position, index) in kept.enumerated() {
            for caption in contents.captions[index] {
                texts.append(caption)
                textImage.append(position)
            }
        }
        guard !texts.isEmpty else { throw ZooError(.data, "dataset '\(record.name)' has no captions to retrieve") }
        let captions = try ZooLog.timed("embed captions of '\(record.name)'") {
            try Embedding.texts(zoo: zoo, encoder: text, texts: texts, settings: settings, label: "captions of '\(record.name)'")
        }
        let start = Date()
        let imageMatrix = try CachedProjection.images(kept.map { contents.ids[$0] }, cache: images, projector: projector)
        let textMatrix = try CachedProjection.texts(texts, cache: captions.cache, projector: projector)
        let metrics = try Scorer.retrieval(images: imageMatrix, texts: textMatrix, textImage: textImage)
        return Scored(metrics: metrics, seconds: Date().timeIntervalSince(start), details: nil)
    }

    private static func resolve(_ task: Task, _ record: DatasetRecord) throws -> DatasetTask {
        switch task {
        case .classification:
            guard record.task == DatasetTask.classification.rawValue else {
                throw ZooError(.usage, "dataset '\(record.name)' is a \(record.task) dataset; classification needs labels and class names (add it with --task classification --classnames FILE)")
            }
            return .classification
        case .retrieval:
            guard record.task != DatasetTask.classification.rawValue else {
                throw ZooError(.usage, "dataset '\(record.name)' is a classification dataset without captions; retrieval needs captions")
            }
            return .retrieval
        case .auto:
            return record.task == DatasetTask.classification.rawValue ? .classification : .retrieval
        }
    }
}

/// CLIP_benchmark's result shape, as `zoo eval --json`, `zoo eval --output` and
/// `zoo results --json` print it.
public struct BenchmarkResult: Encodable, Sendable {
    /// The dataset's name.
    public var dataset: String
    /// `VISION+TEXT`.
    public var model: String
    /// The projector's tag.
    public var pretrained: String
    /// `zeroshot_classification` or `zeroshot_retrieval`.
    public var task: String
    /// The metrics by name.
    public var metrics: [String: Double]
    /// Images scored (evaluations run now).
    public var items: Int?
    /// Wall time of the evaluation.
    public var seconds: Double?
    /// Time spent projecting and scoring (evaluations run now).
    public var scoringSeconds: Double?
    /// The zoo version that ran it.
    public var zooVersion: String?
    /// When the stored run was made (ISO 8601), for `zoo results`.
    public var createdAt: String?
    /// Top-1 recall per class name (classification runs now).
    public var perClassRecall: [String: Double]?

    /// The result of an evaluation just run.
    public init(_ outcome: PairEvaluation.Outcome) {
        self.init(dataset: outcome.dataset, model: outcome.pair, pretrained: outcome.tag, task: outcome.task, metrics: outcome.metrics)
        items = outcome.items
        seconds = outcome.seconds
        scoringSeconds = outcome.scoringSeconds
        zooVersion = ZooVersion.current
        if !outcome.perClassRecall.isEmpty {
            perClassRecall = Dictionary(outcome.perClassRecall.map { ($0.name, $0.recall) }, uniquingKeysWith: { first, _ in first })
        }
    }

    // Explicit keys: `.convertToSnakeCase` would also rewrite the class names in perClassRecall.
    enum CodingKeys: String, CodingKey {
        case dataset, model, pretrained, task, metrics, items, seconds
        case scoringSeconds = "scoring_seconds", zooVersion = "zoo_version", createdAt = "created_at"
        case perClassRecall = "per_class_recall"
    }

    /// A result with the required fields only.
    public init(dataset: String, model: String, pretrained: String, task: DatasetTask, metrics: [String: Double]) {
        self.dataset = dataset
        self.model = model
        self.pretrained = pretrained
        self.task = task == .classification ? "zeroshot_classification" : "zeroshot_retrieval"
        self.metrics = metrics
    }

}
