import ArgumentParser
import Foundation
import Registry
import Runtime
import ZooKit

/// `zoo cache status|merge`: the shards of an embedding cache computed on a cluster.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Check and merge the shards of an image embedding cache computed by cluster tasks.",
        subcommands: [CacheStatus.self, CacheMerge.self])
}

/// The options that name one image cache.
struct CacheSelection: ParsableArguments {
    @Argument(help: "Vision encoder name or alias.")
    var encoder: String

    @Argument(help: "Dataset name.")
    var dataset: String

    @Option(help: "The number of shards N (default: as the markers and segments in the cache folder say).")
    var shards: Int?

    @Flag(help: "The cache with token states.")
    var tokens = false

    @Option(help: "The cache's element type: f32 or f16.")
    var dtype: EmbeddingDType = .f32

    func validate() throws {
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
    }
}

/// `zoo cache status ENCODER DATASET [--shards N] [--json]`.
struct CacheStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which shards are done, missing (as a Slurm --array list), corrupt or from another encoder checkpoint or dataset version.",
        discussion: "Reads only: each done marker's segments are checked by size and SHA-256. Exit 0 whatever the shards' state.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: CacheSelection
    @OptionGroup var format: OutputOptions

    func run() throws {
        let zoo = try global.openZooReadOnly()
        let report = try ShardedEmbedding.status(
            zoo: zoo, encoder: selection.encoder, dataset: selection.dataset, tokens: selection.tokens, dtype: selection.dtype,
            shards: selection.shards)
        if format.json {
            try Output.json(CacheStatusJSON(report))
            return
        }
        print("\(report.encoder) × \(report.dataset): \(report.shards) shards over \(report.datasetItems) items in \(report.folder.path)")
        if report.merged {
            print("merged: \(report.itemsDone) items, every segment checks out")
        }
        print("done:    \(report.done.count) of \(report.shards)\(report.done.isEmpty ? "" : " (" + ShardReport.arrayList(report.done) + ")"), \(report.itemsDone) items")
        print("missing: \(report.missing.isEmpty ? "none" : ShardReport.arrayList(report.missing)), \(report.itemsMissing) items")
        for problem in report.corrupt { print("corrupt: \(problem.detail)") }
        for problem in report.foreign { print("foreign: \(problem.detail)") }
        if report.complete {
            print(report.merged ? "complete" : "complete; merge with: zoo cache merge \(report.encoder) \(report.dataset) --shards \(report.shards)")
        } else {
            print("resubmit: --array=\(ShardReport.arrayList(report.resubmit))")
        }
    }
}

/// `zoo cache merge ENCODER DATASET [--shards N] [--json]`.
struct CacheMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Check every shard's marker, compact the cache and record it in the catalog; exit 65 listing what is missing otherwise.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: CacheSelection
    @OptionGroup var format: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let outcome = try ShardedEmbedding.merge(
            zoo: zoo, encoder: selection.encoder, dataset: selection.dataset, tokens: selection.tokens, dtype: selection.dtype,
            shards: selection.shards)
        let report = outcome.report
        if format.json {
            try Output.json(CacheMergeJSON(
                encoder: report.encoder, dataset: report.dataset, cache: report.folder.path, shards: report.shards, items: outcome.items,
                segments: outcome.segments))
        } else {
            print("\(report.encoder) × \(report.dataset): merged \(report.shards) shards, \(outcome.items) items in \(outcome.segments) segment file\(outcome.segments == 1 ? "" : "s") at \(report.folder.path); recorded in the catalog")
        }
    }
}

/// JSON shape of `zoo cache status`.
struct CacheStatusJSON: Encodable {
    struct Problem: Encodable {
        let shard: Int?
        let file: String
        let detail: String
    }

    let encoder: String
    let dataset: String
    let cache: String
    let shards: Int
    let datasetItems: Int
    let done: [Int]
    let missing: [Int]
    let resubmit: String
    let itemsDone: Int
    let itemsMissing: Int
    let corrupt: [Problem]
    let foreign: [Problem]
    let merged: Bool
    let complete: Bool

    init(_ report: ShardReport) {
        encoder = report.encoder
        dataset = report.dataset
        cache = report.folder.path
        shards = report.shards
        datasetItems = report.datasetItems
        done = report.done
        missing = report.missing
        resubmit = ShardReport.arrayList(report.resubmit)
        itemsDone = report.itemsDone
        itemsMissing = report.itemsMissing
        corrupt = report.corrupt.map { Problem(shard: $0.shard, file: $0.file, detail: $0.detail) }
        foreign = report.foreign.map { Problem(shard: $0.shard, file: $0.file, detail: $0.detail) }
        merged = report.merged
        complete = report.complete
    }

    enum CodingKeys: String, CodingKey {
        case encoder, dataset, cache, shards, done, missing, resubmit, corrupt, foreign, merged, complete
        case datasetItems = "dataset_items"
        case itemsDone = "items_done"
        case itemsMissing = "items_missing"
    }
}

/// JSON shape of `zoo cache merge`.
struct CacheMergeJSON: Encodable {
    let encoder: String
    let dataset: String
    let cache: String
    let shards: Int
    let items: Int
    let segments: Int
}
