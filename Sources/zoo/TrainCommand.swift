import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

extension BranchKind: ExpressibleByArgument {}

/// `zoo train VISION+TEXT --data DATASET …`: train a projector pair on frozen encoders.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a projector pair on frozen encoders with the contrastive loss, from the embedding cache.",
        discussion: """
            Missing embeddings are computed first (as 'zoo embed' would) and cached. After every epoch \
            the run's state (weights, optimiser moments, temperature) is written atomically under \
            runs/ in the zoo home; --resume continues an interrupted run exactly. On success the \
            projector is stored in the checkpoint store and recorded in the catalog.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case token, pooled
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "VISION+TEXT[@TAG], encoder names or aliases.")
    var pair: String

    @Option(help: "Training dataset (pairs).")
    var data: String

    @Option(help: "token: the paper's per-token projectors; pooled: projectors on the pooled embeddings.")
    var projector: Kind = .token

    @Option(help: "Branch of a pooled projector: linear or mlp.")
    var pooledKind: BranchKind = .mlp

    @Option(help: "Epochs.")
    var epochs = 10

    @Option(help: "Pairs per step.")
    var batch = 256

    @Option(help: "Peak learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Weight decay (matrices only).")
    var wd: Float = 0.02

    @Option(help: "Warm-up steps (default: 1000, or 10% of all steps when that is fewer).")
    var warmup: Int?

    @Option(help: "Output width of the shared space.")
    var dim = 1024

    @Option(help: "Dropout inside the projectors while training.")
    var dropout: Float = 0.1

    @Option(help: "Seed of initialisation, order, captions and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Version tag (default: the next free vN). Same as @TAG in the pair.")
    var tag: String?

    @Flag(help: "Continue the interrupted run of this pair and tag from its last epoch checkpoint.")
    var resume = false

    @Option(help: "Ablation: branch on each patch token (token projector): none, identity, linear, mlp or token.")
    var visionLocal: BranchKind?

    @Option(help: "Ablation: branch on the CLS token: none, identity, linear, mlp or token.")
    var visionCls: BranchKind?

    @Option(help: "Ablation: branch on each text token: identity, linear, mlp or token.")
    var textToken: BranchKind?

    @Option(help: "Ablation: text head after pooling: on or off.")
    var textHead: Switch?

    @Option(help: "Element type of the embedding cache: f32 or f16.")
    var dtype: EmbeddingDType = .f32

    @Option(help: "Images or texts per encoder batch while filling the cache.")
    var embedBatch = 32

    @OptionGroup var output: OutputOptions

    enum Switch: String, ExpressibleByArgument { case on, off }

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2 (a contrastive batch needs negatives)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
        guard wd >= 0 else { throw ValidationError("--wd must not be negative") }
        guard dim >= 1 else { throw ValidationError("--dim must be at least 1") }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative") }
        guard embedBatch >= 1 else { throw ValidationError("--embed-batch must be at least 1") }
    }

    func run() throws {
        var reference = try PairReference(parsing: pair)
        if let tag {
            if let given = reference.tag, given.lowercased() != tag.lowercased() {
                throw ZooError(.usage, "the pair says @\(given) but --tag says \(tag); give one")
            }
            reference.tag = tag
        }
        if let tag = reference.tag { try EncoderName.validate(tag, role: "tag") }
        let zoo = try global.openZoo()
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
        let dataset = try zoo.catalog.dataset(named: data)
        guard dataset.task == DatasetTask.pairs.rawValue else {
            throw ZooError(.usage, "dataset '\(dataset.name)' is a \(dataset.task) dataset; training needs pairs (add it with --captions-from-labels TEMPLATES to make pairs from labels)")
        }
        let reader = try DatasetOpening.reader(dataset)
        let contents = try Embedding.contents(zoo: zoo, dataset: dataset, reader: reader)
        let usesTokens = projector == .token
        let settings = Embedding.Settings(tokens: usesTokens, dtype: dtype, batch: embedBatch, skipBad: DatasetOptions.parse(dataset.options).skipBad, progress: ProgressBar.factory)
        let images = try Embedding.images(zoo: zoo, encoder: vision, dataset: dataset, reader: reader, contents: contents, settings: settings)
        let captions = try Embedding.texts(zoo: zoo, encoder: text, texts: contents.uniqueCaptions, settings: settings, label: "captions of '\(dataset.name)'")
        // Images that failed to decode (with --skip-bad) are left out of training.
        let kept = contents.ids.indices.filter { images.cache.contains(contents.ids[$0]) }
        let pairs = try CachedPairData(
            visionCache: images.cache, textCache: captions.cache, imageIDs: kept.map { contents.ids[$0] },
            captions: kept.map { contents.captions[$0] }, usesTokens: usesTokens)

        let architecture = try makeArchitecture(pairs)
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        configuration.batchSize = batch
        configuration.learningRate = lr
        configuration.weightDecay = wd
        configuration.seed = seed
        let totalSteps = configuration.stepsPerEpoch(pairs: pairs.count) * epochs
        configuration.warmupSteps = warmup ?? min(1000, totalSteps / 10)
        guard configuration.stepsPerEpoch(pairs: pairs.count) > 0 else {
            throw ZooError(.data, "dataset '\(dataset.name)' has \(pairs.count) usable pairs, too few for one step; lower --batch or add data")
        }

        let run = TrainingRun(
            folder: zoo.home.runsURL.appendingPathComponent("\(vision.name)+\(text.name)@\(finalTag)".replacingOccurrences(of: "/", with: "_")),
            architecture: architecture, configuration: configuration, dataset: dataset.name,
            idsDigest: ContentHash.sha256(kept.map { contents.ids[$0] }.joined(separator: "\n")))
        var trainer = try run.start(resume: resume, pairs: pairs.count)
        let bar = ProgressBar("train \(vision.name)+\(text.name)@\(finalTag)", total: nil, unit: "steps")
        while trainer.completedEpochs < configuration.epochs {
            let epoch = trainer.completedEpochs
            let barEpoch = ProgressBar("epoch \(epoch + 1)/\(configuration.epochs)", total: trainer.stepsPerEpoch, unit: "steps")
            let started = Date()
            let record = try trainer.trainEpoch(data: pairs) { step in
                barEpoch.update(
                    done: step.step, seconds: Date().timeIntervalSince(started),
                    extra: String(format: "loss %.4f lr %.2e T %.4f %.0f pairs/s", step.loss, step.learningRate, step.temperature, step.pairsPerSecond))
            }
            try run.save(trainer)
            barEpoch.finish(String(
                format: "epoch %d/%d: loss %.4f, lr %.2e, temperature %.4f, %.0f pairs/s, %.1f s",
                record.epoch, configuration.epochs, record.loss, record.learningRate, record.temperature, record.pairsPerSecond, record.seconds))
        }
        _ = bar
        let stored = try run.finish(trainer, zoo: zoo, vision: vision, text: text, tag: finalTag, pairs: pairs, contents: contents, captionsCount: contents.uniqueCaptions.count)
        let entry = ProjectorEntry(record: stored, visionName: vision.name, textName: text.name)
        if output.json {
            try Output.json(ProjectorJSON.object(entry))
        } else {
            let first = trainer.history.first?.loss ?? 0
            let last = trainer.history.last?.loss ?? 0
            print(String(format: "trained %@ (%@, %d parameters): loss %.4f -> %.4f over %d epochs; checkpoint %@",
                         entry.reference, architecture.input.rawValue, trainer.projector.parameterCount, first, last,
                         trainer.history.count, String(stored.checkpointDigest.prefix(12))))
        }
    }

    private func makeArchitecture(_ pairs: CachedPairData) throws -> ProjectorArchitecture {
        var architecture: ProjectorArchitecture
        switch projector {
        case .token:
            architecture = .paper(visionWidth: pairs.visionWidth, textWidth: pairs.textWidth, outputWidth: dim)
            if let visionLocal { architecture.visionLocal = visionLocal }
            if let visionCls { architecture.visionCLS = visionCls }
            if let textToken { architecture.textToken = textToken }
            if let textHead { architecture.textHead = textHead == .on }
        case .pooled:
            guard visionLocal == nil && textHead == nil else {
                throw ZooError(.usage, "--vision-local and --text-head apply to token projectors; a pooled projector takes --pooled-kind")
            }
            architecture = .pooled(kind: pooledKind, visionWidth: pairs.visionWidth, textWidth: pairs.textWidth, outputWidth: dim)
            if let visionCls { architecture.visionCLS = visionCls }
            if let textToken { architecture.textToken = textToken }
        }
        architecture.dropout = dropout
        do { try architecture.validate() } catch { throw ZooError(.usage, "\(error)") }
        return architecture
    }
}
