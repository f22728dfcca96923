import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo curate --pool DATASET --concepts FILE --per-concept K …`: concept-coverage curation of a
/// caption pool (the paper's section 2), in the text encoder's embedding space.
struct CurateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curate",
        abstract: "Select a concept-balanced subset of an image–caption pool and write it as a JSONL manifest.",
        discussion: """
            Each concept's prototype is the mean of its examples' normalised text embeddings (or the \
            embedding of the name in --template). The pool's captions are streamed, embedded in \
            batches and scored by cosine against every prototype; the best --top items per concept \
            are kept. Concepts are then visited rarest first (lowest --top-th score) and each takes \
            up to --per-concept of its best items not already taken. The manifest reads back with \
            'zoo dataset add NAME --path MANIFEST --format jsonl'. Concepts file, tie rules and \
            output: docs/CLI.md.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "The pool: a registered jsonl or wds dataset with captions.")
    var pool: String

    @Option(help: ArgumentHelp("Concepts, one a line: NAME, or {\"concept\": NAME, \"examples\": [TEXT, …]}.", valueName: "file"))
    var concepts: String

    @Option(help: ArgumentHelp("Items each concept takes at most (the paper: 2,000).", valueName: "k"))
    var perConcept: Int

    @Option(help: ArgumentHelp("Candidates kept per concept while streaming (the paper: 50,000).", valueName: "m"))
    var top = 50_000

    @Option(help: "The text encoder that embeds captions and concepts.")
    var encoder: String

    @Option(help: ArgumentHelp("The manifest to write (JSON Lines, replaced atomically).", valueName: "file"))
    var output: String

    @Option(help: "The prototype text of a concept without examples; {c} is its name.")
    var template = LabelCaptioner.defaultTemplate

    @Option(help: "Captions per encoder batch.")
    var batch = 64

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard perConcept >= 1 else { throw ValidationError("--per-concept must be at least 1") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard template.contains("{c}") else { throw ValidationError("--template must contain {c} where the concept name goes") }
    }

    func run() throws {
        var request = PoolCuration.Request(
            pool: pool, concepts: URL(fileURLWithPath: Paths.absolute(concepts)), perConcept: perConcept, encoder: encoder,
            output: URL(fileURLWithPath: Paths.absolute(output)))
        request.top = top
        request.template = template
        request.batch = batch
        let outcome = try PoolCuration.run(zoo: try global.openZoo(), request: request, progress: ProgressBar.factory)
        if outputOptions.json {
            try Output.json(outcome)
            return
        }
        print("selected \(outcome.selected) of \(outcome.items) items of '\(outcome.pool)' for \(outcome.concepts.count) concepts (top \(top), up to \(perConcept) each) into \(outcome.manifest)")
        Output.table(
            ["ORDER", "CONCEPT", "CANDIDATES", "M-TH SCORE", "TAKEN"],
            outcome.concepts.map { row in
                [String(row.order), row.concept, String(row.candidates), row.threshold.map { String(format: "%.4f", $0) } ?? "-", String(row.taken)]
            })
        if outcome.concepts.contains(where: { $0.threshold == nil }) {
            print("(-: fewer than \(top) candidates; such concepts are visited first)")
        }
    }
}
