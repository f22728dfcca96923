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
        var configuration = TrainingConfiguration()
        configuration.epochs = epochs
        configuration.batchSize = batch
        configuration.learningRate = lr
        configuration.weightDecay = wd
        configuration.seed = seed
        let command = self
        var request = ProjectorTraining.Request(
            pair: reference, dataset: data, usesTokens: projector == .token, configuration: configuration,
            architecture: { try command.makeArchitecture(visionWidth: $0, textWidth: $1) })
        request.warmupSteps = warmup
        request.dtype = dtype
        request.embedBatch = embedBatch
        request.resume = resume
        let outcome = try ProjectorTraining.run(zoo: try global.openZoo(), request: request, progress: ProgressBar.factory)
        let entry = outcome.entry
        if output.json {
            try Output.json(ProjectorJSON(entry))
        } else {
            let first = outcome.history.first?.loss ?? 0
            let last = outcome.history.last?.loss ?? 0
            print(String(format: "trained %@ (%@, %d parameters): loss %.4f -> %.4f over %d epochs; checkpoint %@",
                         entry.reference, outcome.architecture.input.rawValue, outcome.parameterCount, first, last,
                         outcome.history.count, String(entry.record.checkpointDigest.prefix(12))))
        }
    }

    private func makeArchitecture(visionWidth: Int, textWidth: Int) throws -> ProjectorArchitecture {
        var architecture: ProjectorArchitecture
        switch projector {
        case .token:
            architecture = .paper(visionWidth: visionWidth, textWidth: textWidth, outputWidth: dim)
            if let visionLocal { architecture.visionLocal = visionLocal }
            if let visionCls { architecture.visionCLS = visionCls }
            if let textToken { architecture.textToken = textToken }
            if let textHead { architecture.textHead = textHead == .on }
        case .pooled:
            guard visionLocal == nil && textHead == nil else {
                throw ZooError(.usage, "--vision-local and --text-head apply to token projectors; a pooled projector takes --pooled-kind")
            }
            architecture = .pooled(kind: pooledKind, visionWidth: visionWidth, textWidth: textWidth, outputWidth: dim)
            if let visionCls { architecture.visionCLS = visionCls }
            if let textToken { architecture.textToken = textToken }
        }
        architecture.dropout = dropout
        try architecture.validate()
        return architecture
    }
}
