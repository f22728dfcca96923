import ArgumentParser
import Foundation
import Registry
import Runtime
import ZooKit

/// `zoo index build|list|remove`: search indexes of a trained pair's image embeddings.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Build, list and remove search indexes of a pair's image embeddings.",
        subcommands: [IndexBuild.self, IndexList.self, IndexRemove.self])
}

/// `zoo index build PAIR (DATASET | --images PATH…) [--name NAME] [--dtype f16|f32]`.
struct IndexBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Store the projected, normalised image embeddings of a dataset or of image files for 'zoo search'.",
        discussion: """
            A dataset's images go through the embedding cache, so the index holds the numbers 'zoo eval' \
            scores. The index is stored in the zoo home and recorded in the catalog with the pair's \
            projector checkpoint.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "A trained pair, VISION+TEXT[@TAG].")
    var pair: String

    @Argument(help: "A registered dataset whose images to index.")
    var dataset: String?

    @Option(parsing: .upToNextOption, help: "Image files, folders (recursively) or globs, instead of a dataset.")
    var images: [String] = []

    @Option(help: "The index's name (default: the dataset's name, or the images' folder name).")
    var name: String?

    @Option(help: "How the vectors are stored: f16 (half the size) or f32.")
    var dtype: EmbeddingDType = .f16

    @Option(help: "Images per forward pass.")
    var batch = 64

    @Flag(help: "Skip image files that cannot be decoded (listed on stderr) instead of stopping.")
    var skipBad = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard (dataset == nil) != images.isEmpty else {
            throw ValidationError("pass a DATASET or --images PATH…, one of the two")
        }
    }

    func run() throws {
        let source: SearchIndexes.Source = try dataset.map { .dataset($0) } ?? .images(ImageInput.expand(images))
        var request = SearchIndexes.BuildRequest(pair: try PairReference(parsing: pair), source: source)
        request.name = name
        request.dtype = dtype
        request.batch = batch
        request.skipBad = skipBad
        let outcome = try SearchIndexes.build(
            zoo: try global.openZoo(), request: request, skipped: Output.reportSkipped, progress: ProgressBar.factory)
        if format.json {
            try Output.json(outcome)
            return
        }
        let index = outcome.index
        print("built index '\(index.name)': \(index.count) vectors of width \(index.width) (\(index.dtype)) from \(index.source) with \(index.pair), checkpoint \(index.checkpointDigest.prefix(12)), in \(String(format: "%.1f", outcome.seconds)) s")
        if !outcome.skipped.isEmpty { Output.error("skipped \(outcome.skipped.count) image(s)") }
    }
}

/// `zoo index list [--json]`.
struct IndexList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List search indexes.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let indexes = try SearchIndexes.list(zoo: try global.openZoo())
        if format.json {
            try Output.json(indexes)
            return
        }
        guard !indexes.isEmpty else {
            print("no indexes; build one with 'zoo index build PAIR DATASET' or 'zoo index build PAIR --images DIR'")
            return
        }
        Output.table(
            ["NAME", "PAIR", "SOURCE", "COUNT", "WIDTH", "DTYPE", "CHECKPOINT", "CREATED"],
            indexes.map {
                [$0.name, $0.pair, $0.source, String($0.count), String($0.width), $0.dtype, String($0.checkpointDigest.prefix(12)), Output.date($0.createdAt)]
            })
    }
}

/// `zoo index remove NAME`.
struct IndexRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a search index and its stored files.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The index's name.")
    var name: String

    func run() throws {
        let removed = try SearchIndexes.remove(zoo: try global.openZoo(), name: name)
        print("removed index '\(removed.name)' (\(removed.count) vectors of \(removed.pair))")
    }
}

/// `zoo search INDEX (--text STR | --image PATH) [--k 10] [--pair PAIR] [--json]`.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the images of an index nearest a text or an image in the pair's joint space (exact top-k by cosine).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "The index's name.")
    var index: String

    @Option(help: "A text query.")
    var text: String?

    @Option(help: ArgumentHelp("An image query.", valueName: "path"))
    var image: String?

    @Option(help: "Hits to return (at most 10,000).")
    var k = 10

    @Option(help: "Check that the index was built with this pair's current projector (exit 65 if not).")
    var pair: String?

    func validate() throws {
        guard (text == nil) != (image == nil) else { throw ValidationError("pass --text STR or --image PATH, one of the two") }
        guard (1...10_000).contains(k) else { throw ValidationError("--k must be between 1 and 10000") }
    }

    func run() throws {
        let query: SearchIndexes.Query = text.map { .text($0) } ?? .image(URL(fileURLWithPath: image!))
        let outcome = try SearchIndexes.search(
            zoo: try global.openZoo(), index: index, query: query, k: k, pair: try pair.map { try PairReference(parsing: $0) })
        if format.json {
            try Output.json(outcome)
            return
        }
        Output.table(["RANK", "SCORE", "ID"], outcome.hits.map { [String($0.rank), String(format: "%.4f", $0.score), $0.id] })
    }
}
