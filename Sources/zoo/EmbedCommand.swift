import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo embed ENCODER DATASET …`: fill the embedding cache, one shard of it as a cluster task,
/// or write the scheduler files that run every shard.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Run an encoder once over a dataset and cache its outputs in the zoo home (resumable; training and evaluation reuse them).",
        discussion: """
            A vision encoder embeds the dataset's images, keyed by item id. A text encoder embeds the \
            dataset's captions (or, for a classification dataset, its prompts), keyed by the text. \
            Items already cached are skipped, so an interrupted run continues where it stopped. \
            With --shard K/N (or --shard env, K/N from a Slurm array or Kubernetes Indexed Job) only items \
            whose index modulo N is K are embedded, as a cluster task: the catalog is only read, and the \
            shard's done marker is written last. 'zoo cache status' and 'zoo cache merge' check and join the \
            shards. --emit slurm|k8s writes the scheduler files for N shards (docs/CLUSTER.md).
            """)

    /// The schedulers `--emit` writes files for.
    enum Scheduler: String, ExpressibleByArgument, CaseIterable {
        case slurm, k8s
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var encoder: String

    @Argument(help: "Dataset name.")
    var dataset: String

    @Flag(help: "Also cache token states (token projectors need them).")
    var tokens = false

    @Option(help: "Element type on disk: f32 or f16.")
    var dtype: EmbeddingDType = .f32

    @Option(help: ArgumentHelp(
        "Embed only items whose index modulo N is K, as a cluster task; 'env' reads K and N from ZOO_SHARD, SLURM_ARRAY_TASK_ID/_COUNT or JOB_COMPLETION_INDEX with ZOO_SHARD_COUNT.",
        valueName: "K/N|env"))
    var shard: String?

    @Option(help: "Items per encoder batch.")
    var batch = 32

    @Flag(help: "Skip images that cannot be decoded (counted) instead of stopping.")
    var skipBad = false

    @Option(name: .customLong("segment-items"), help: "Items per cache segment file; a run killed midway loses at most the segment in progress.")
    var segmentItems = 2048

    @Option(help: "Write the files that run every shard on a scheduler: slurm (an sbatch script) or k8s (an Indexed Job manifest).")
    var emit: Scheduler?

    @Option(help: "With --emit: the number of shards N.")
    var shards: Int?

    @Option(help: "With --emit: shards running at once (default: all).")
    var parallel: Int?

    @Option(help: "With --emit: each task's wall-time limit, in Slurm notation (MM, HH:MM:SS, D-HH:MM:SS).")
    var time = "04:00:00"

    @Option(help: "With --emit slurm: the Slurm partition.")
    var partition: String?

    @Option(help: "With --emit: CPU cores per task.")
    var cpus = 1

    @Option(help: "With --emit: memory per task (Slurm notation, e.g. 8G).")
    var mem: String?

    @Option(help: "With --emit k8s: the container image that has zoo on its PATH.")
    var image = "zoo:\(ZooVersion.current)"

    @Option(name: .customLong("volume-claim"), help: "With --emit k8s: the persistent volume claim holding the zoo home.")
    var volumeClaim = "zoo-home"

    @Option(help: "With --emit k8s: retries of each index (backoffLimitPerIndex).")
    var retries = 2

    @Option(name: .customLong("zoo-binary"), help: "With --emit slurm: the zoo executable the tasks run (default: this one).")
    var zooBinary: String?

    @Option(help: "With --emit: write the file here instead of standard output.")
    var output: String?

    @OptionGroup var format: OutputOptions

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
        guard segmentItems > 0 else { throw ValidationError("--segment-items must be at least 1") }
        if emit == nil {
            let emitOnly: [(String, Bool)] = [
                ("--shards", shards != nil), ("--parallel", parallel != nil), ("--partition", partition != nil),
                ("--mem", mem != nil), ("--zoo-binary", zooBinary != nil), ("--output", output != nil),
            ]
            if let (name, _) = emitOnly.first(where: { $0.1 }) { throw ValidationError("\(name) goes with --emit slurm|k8s") }
        } else {
            guard shard == nil else { throw ValidationError("--emit writes the files for every shard; leave out --shard") }
            guard let shards, shards >= 1 else { throw ValidationError("--emit needs --shards N (at least 1)") }
            if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1") }
            guard cpus >= 1 else { throw ValidationError("--cpus must be at least 1") }
            guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
        }
    }

    func run() throws {
        if let emit { return try emitJobs(emit) }
        var settings = Embedding.Settings(tokens: tokens, dtype: dtype, batch: batch, skipBad: skipBad, strictDType: true, progress: ProgressBar.factory)
        settings.segmentItems = segmentItems
        if let shard {
            settings.shard = shard == "env"
                ? try ShardSelection(environment: ProcessInfo.processInfo.environment)
                : try ShardSelection(parsing: shard)
            if try runShardTask(settings) { return }
        }
        let outcome = try DatasetEmbedding.run(zoo: try global.openZoo(), encoder: encoder, dataset: dataset, settings: settings)
        let cache = outcome.cache
        let encoded = outcome.encoded
        if format.json {
            try Output.json(EmbedJSON(
                encoder: outcome.encoder, dataset: outcome.dataset, cache: cache.folder.path, cached: cache.count,
                encoded: encoded, tokens: cache.layout.tokens, dtype: cache.layout.dtype.rawValue))
        } else {
            print("\(outcome.encoder) × \(outcome.dataset): \(cache.count) embeddings cached in \(cache.folder.path) (\(encoded) computed now)")
        }
    }

    /// Runs one shard of an image cache as a cluster task; false for a text encoder, whose
    /// shards fill the shared text cache the ordinary way.
    private func runShardTask(_ settings: Embedding.Settings) throws -> Bool {
        let zoo = try global.openZooReadOnly()
        guard let outcome = try ShardedEmbedding.runTask(zoo: zoo, encoder: encoder, dataset: dataset, settings: settings) else {
            return false
        }
        if format.json {
            try Output.json(EmbedShardJSON(
                encoder: outcome.encoder, dataset: outcome.dataset, shard: outcome.shard.description, cache: outcome.folder.path,
                marker: outcome.marker.path, items: outcome.items, cached: outcome.cached, encoded: outcome.encoded,
                tokens: outcome.layout.tokens, dtype: outcome.layout.dtype.rawValue, alreadyDone: outcome.alreadyDone))
        } else if outcome.alreadyDone {
            print("\(outcome.encoder) × \(outcome.dataset): shard \(outcome.shard.description) is already done (\(outcome.items) items, \(outcome.marker.path)); nothing to do")
        } else {
            print("\(outcome.encoder) × \(outcome.dataset): shard \(outcome.shard.description) done, \(outcome.items) items in \(outcome.folder.path) (\(outcome.encoded) computed now)")
        }
        return true
    }

    private func emitJobs(_ scheduler: Scheduler) throws {
        let zoo = try global.openZoo()
        let entry = try zoo.catalog.encoder(named: encoder)
        guard entry.record.modality == .vision else {
            throw ZooError(.usage, "'\(entry.name)' is a text encoder; --emit runs the shards of an image cache, so name a vision encoder (embed texts with 'zoo embed \(entry.name) \(dataset)')")
        }
        let record = try zoo.catalog.dataset(named: dataset)
        // Reading the dataset once records its size and id digest, which 'zoo cache status' uses.
        _ = try Embedding.contents(zoo: zoo, dataset: record, reader: try DatasetOpening.reader(record))
        let shards = shards ?? 1
        _ = try ClusterJobs.seconds(ofSlurmTime: time)
        var options: [String] = []
        if tokens { options.append("--tokens") }
        if dtype != .f32 { options += ["--dtype", dtype.rawValue] }
        if batch != 32 { options += ["--batch", String(batch)] }
        if skipBad { options.append("--skip-bad") }
        if segmentItems != 2048 { options += ["--segment-items", String(segmentItems)] }
        let executable = zooBinary ?? CommandLine.executablePath
        var plan = ClusterJobs.Plan(
            encoder: entry.name, dataset: record.name, home: zoo.home.url.path, zoo: executable, shards: shards,
            parallel: min(parallel ?? shards, shards), time: time, cpus: cpus, memory: mem, partition: partition, image: image,
            volumeClaim: volumeClaim, retries: retries, embedOptions: options)
        plan.fileName = output.map { URL(fileURLWithPath: $0).lastPathComponent }
        let text = scheduler == .slurm ? ClusterJobs.slurmScript(plan) : try ClusterJobs.kubernetesManifest(plan)
        guard let output else {
            print(text, terminator: "")
            return
        }
        let url = URL(fileURLWithPath: output)
        do { try DurableFile.write(Data(text.utf8), to: url) } catch { throw ZooError(.io, error.description) }
        if scheduler == .slurm { chmod(url.path, 0o755) }
        Output.error("wrote \(url.path) (\(shards) shards); " + (scheduler == .slurm
            ? "submit with: bash \(output)"
            : "apply with: kubectl apply -f \(output) -l app.kubernetes.io/component=embed"))
    }
}

extension CommandLine {
    /// The absolute path of the running executable.
    static var executablePath: String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return URL(fileURLWithPath: arguments[0]).standardizedFileURL.path
    }
}

/// JSON shape of `zoo embed`'s result.
struct EmbedJSON: Encodable {
    let encoder: String
    let dataset: String
    /// The cache folder.
    let cache: String
    /// Embeddings in the cache now.
    let cached: Int
    /// Embeddings computed by this run.
    let encoded: Int
    let tokens: Bool
    let dtype: String
}

/// JSON shape of `zoo embed --shard`'s result for an image cache.
struct EmbedShardJSON: Encodable {
    let encoder: String
    let dataset: String
    /// `K/N`.
    let shard: String
    /// The cache folder.
    let cache: String
    /// The shard's done marker.
    let marker: String
    /// Items of the shard in the cache.
    let items: Int
    /// Embeddings in the whole cache folder now (every shard's).
    let cached: Int
    /// Embeddings computed by this run.
    let encoded: Int
    let tokens: Bool
    let dtype: String
    /// Whether the shard was done before (nothing was written).
    let alreadyDone: Bool

    enum CodingKeys: String, CodingKey {
        case encoder, dataset, shard, cache, marker, items, cached, encoded, tokens, dtype
        case alreadyDone = "already_done"
    }
}
