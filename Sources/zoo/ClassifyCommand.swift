import ArgumentParser
import Foundation
import Registry
import Runtime
import ZooKit

/// `zoo classify PAIR --images PATH… (--labels "cat,dog" | --classnames FILE) [--templates FILE] [--top K] [--json]`.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot labels for images through a trained pair, with probabilities.",
        discussion: """
            Each class is the normalised mean of its prompts' joint-space embeddings (every template \
            with {c} replaced by the class name; default "a photo of a {c}."), as 'zoo eval' builds it. \
            Probabilities are the softmax over all classes of the pair's learned logit scale × cosine.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: "A trained pair, VISION+TEXT[@TAG].")
    var pair: String

    @Option(parsing: .upToNextOption, help: "Image files, folders (recursively) or globs.")
    var images: [String] = []

    @Option(help: ArgumentHelp("A file with one image path per line; - for stdin.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Class names separated by commas.", valueName: "names"))
    var labels: String?

    @Option(help: ArgumentHelp("A file with one class name per line.", valueName: "file"))
    var classnames: String?

    @Option(help: ArgumentHelp("A file with one prompt template per line, each with {c}.", valueName: "file"))
    var templates: String?

    @Option(help: "Labels shown per image.")
    var top = 5

    @Option(help: "Images per forward pass.")
    var batch = 32

    @Flag(help: "Skip images that cannot be decoded (listed on stderr) instead of stopping.")
    var skipBad = false

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard (labels == nil) != (classnames == nil) else {
            throw ValidationError("pass the classes as --labels \"cat,dog,…\" or --classnames FILE (one of the two)")
        }
    }

    func run() throws {
        let classNames = try labels.map(ImageClassification.labels) ?? TextListFile.classNames(at: classnames!)
        var request = ImageClassification.Request(
            pair: try PairReference(parsing: pair), images: try ImageInput.urls(images: images, input: input), classNames: classNames)
        if let templates { request.templates = try TextListFile.templates(at: templates) }
        request.top = top
        request.batch = batch
        request.skipBad = skipBad
        let outcome = try ImageClassification.run(zoo: try global.openZoo(), request: request, skipped: Output.reportSkipped)
        if format.json {
            try Output.json(outcome)
            return
        }
        var rows: [[String]] = []
        for prediction in outcome.predictions {
            for (rank, label) in prediction.labels.enumerated() {
                rows.append([
                    rank == 0 ? prediction.image : "", String(rank + 1), label.name,
                    String(format: "%.4f", label.probability), String(format: "%.4f", label.score),
                ])
            }
        }
        Output.table(["IMAGE", "RANK", "LABEL", "PROBABILITY", "COSINE"], rows)
        if !outcome.skipped.isEmpty { Output.error("skipped \(outcome.skipped.count) image(s)") }
    }
}
