import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo embed ENCODER DATASET …`: fill the embedding cache.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Run an encoder once over a dataset and cache its outputs in the zoo home (resumable; training and evaluation reuse them).",
        discussion: """
            A vision encoder embeds the dataset's images, keyed by item id. A text encoder embeds the \
            dataset's captions (or, for a classification dataset, its prompts), keyed by the text. \
            Items already cached are skipped, so an interrupted run continues where it stopped. \
            With --shard K/N only items whose index modulo N is K are embedded; copy the seg-*.safetensors \
            files of every shard's cache folder into one to merge them.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var encoder: String

    @Argument(help: "Dataset name.")
    var dataset: String

    @Flag(help: "Also cache token states (token projectors need them).")
    var tokens = false

    @Option(help: "Element type on disk: f32 or f16.")
    var dtype: EmbeddingDType = .f32

    @Option(help: ArgumentHelp("Embed only items whose index modulo N is K.", valueName: "K/N"))
    var shard: String?

    @Option(help: "Items per encoder batch.")
    var batch = 32

    @Flag(help: "Skip images that cannot be decoded (counted) instead of stopping.")
    var skipBad = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        var settings = Embedding.Settings(tokens: tokens, dtype: dtype, batch: batch, skipBad: skipBad, strictDType: true, progress: ProgressBar.factory)
        if let shard { settings.shard = try ShardSelection(parsing: shard) }
        let outcome = try DatasetEmbedding.run(zoo: try global.openZoo(), encoder: encoder, dataset: dataset, settings: settings)
        let cache = outcome.cache
        let encoded = outcome.encoded
        if output.json {
            try Output.json(EmbedJSON(
                encoder: outcome.encoder, dataset: outcome.dataset, cache: cache.folder.path, cached: cache.count,
                encoded: encoded, tokens: cache.layout.tokens, dtype: cache.layout.dtype.rawValue))
        } else {
            print("\(outcome.encoder) × \(outcome.dataset): \(cache.count) embeddings cached in \(cache.folder.path) (\(encoded) computed now)")
        }
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
