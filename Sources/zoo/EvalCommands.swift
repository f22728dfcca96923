import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo eval PAIR DATASET …`: zero-shot classification or retrieval of a trained pair.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a projector pair on a dataset: zero-shot classification (acc1, acc5, mean per-class recall) or retrieval (recall@1/5/10).",
        discussion: """
            Embeddings come from the embedding cache (computed first when missing). Class embeddings \
            are the mean of the normalised embeddings of the class's prompts (the dataset's templates \
            with the class name), normalised again. Every run is stored in the catalog; 'zoo results' \
            shows the leaderboard.
            """)

    typealias Task = PairEvaluation.Task

    @OptionGroup var global: GlobalOptions

    @Argument(help: "VISION+TEXT[@TAG].")
    var pair: String

    @Argument(help: "Dataset name.")
    var dataset: String

    @Option(help: "auto (the dataset's task), classification or retrieval.")
    var task: Task = .auto

    @Option(help: "Images or texts per encoder batch when filling the cache.")
    var batch = 32

    @Option(help: ArgumentHelp("Also write the result JSON (CLIP_benchmark's shape) to this file.", valueName: "file"))
    var output: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        let zoo = try global.openZoo()
        let outcome = try PairEvaluation.run(
            zoo: zoo, pair: try PairReference(parsing: pair), dataset: dataset, task: task,
            batch: batch, progress: ProgressBar.factory)
        let result = BenchmarkResult(outcome)
        if let output {
            try DurableFile.write(try Output.jsonData(result), to: URL(fileURLWithPath: Paths.absolute(output)))
        }
        if outputOptions.json {
            try Output.json(result)
        } else {
            print("\(outcome.reference) on \(outcome.dataset) (\(outcome.task.rawValue), \(outcome.items) images, \(String(format: "%.1f", outcome.seconds)) s)")
            Output.table(["METRIC", "VALUE"], outcome.metrics.keys.sorted().map { [$0, String(format: "%.4f", outcome.metrics[$0]!)] })
            if !outcome.perClassRecall.isEmpty && outcome.perClassRecall.count <= 30 {
                Output.table(["CLASS", "TOP-1"], outcome.perClassRecall.map { [$0.name, String(format: "%.4f", $0.recall)] })
            }
        }
    }
}

/// `zoo score classification|retrieval --embeddings FILE`
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Metrics for embeddings computed anywhere (the scoring of 'zoo eval').",
        discussion: """
            classification: tensors image [N,D], classes [C,D] and labels I64 [N]. retrieval: image [N,D], \
            text [M,D] and text_image I64 [M] (the image of each text). Rows are L2-normalised first.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case classification, retrieval }

    @Argument(help: "classification or retrieval.")
    var kind: Kind

    @Option(help: ArgumentHelp("A safetensors file with the tensors above.", valueName: "file"))
    var embeddings: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let path = Paths.absolute(embeddings)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError(.noInput, "embeddings file '\(path)' does not exist")
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(url: URL(fileURLWithPath: path)) } catch { throw ZooError(.data, "\(error)") }
        let metrics: [String: Double]
        do {
            switch kind {
            case .classification:
                let images = try matrix(file, "image")
                let classes = try matrix(file, "classes")
                let labels = try indices(file, "labels")
                metrics = try Scorer.classification(images: images, classes: classes, labels: labels)
            case .retrieval:
                let images = try matrix(file, "image")
                let texts = try matrix(file, "text")
                let textImage = try indices(file, "text_image")
                metrics = try Scorer.retrieval(images: images, texts: texts, textImage: textImage)
            }
        } catch let error as EvaluationError {
            throw ZooError(.data, "\(path): \(error.description)")
        }
        if output.json {
            try Output.json(ScoreJSON(task: kind == .classification ? "zeroshot_classification" : "zeroshot_retrieval", metrics: metrics))
        } else {
            Output.table(["METRIC", "VALUE"], metrics.keys.sorted().map { [$0, String(format: "%.4f", metrics[$0]!)] })
        }
    }

    private func matrix(_ file: SafeTensorsFile, _ name: String) throws -> EmbeddingMatrix {
        guard file.contains(name) else { throw ZooError(.data, "'\(file.fileName)' has no tensor '\(name)'") }
        let info = try file.info(name)
        guard info.shape.count == 2 else { throw ZooError(.data, "'\(name)' in '\(file.fileName)' must be 2-D [rows, width], is \(info.shape)") }
        return EmbeddingMatrix(values: try file.floats(name), rows: info.shape[0], width: info.shape[1])
    }

    private func indices(_ file: SafeTensorsFile, _ name: String) throws -> [Int] {
        guard file.contains(name) else { throw ZooError(.data, "'\(file.fileName)' has no tensor '\(name)'") }
        return try file.int64s(name).map { Int(clamping: $0) }
    }
}

/// JSON shape of `zoo score`'s result.
struct ScoreJSON: Encodable {
    /// `zeroshot_classification` or `zeroshot_retrieval`, as CLIP_benchmark names the tasks.
    let task: String
    let metrics: [String: Double]
}

/// `zoo results [PAIR] [DATASET]`: the leaderboard.
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "The leaderboard from the catalog: one row per pair, one column per dataset (latest run of each).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only pairs matching VISION+TEXT[@TAG].")
    var pair: String?

    @Argument(help: "Only this dataset.")
    var dataset: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print CSV.")
    var csv = false

    func run() throws {
        let zoo = try global.openZoo()
        var entries = try zoo.catalog.evaluations()
        if let pair {
            let reference = try PairReference(parsing: pair)
            let wanted = Set(try zoo.catalog.projectors(for: reference).filter { reference.tag == nil || $0.record.tag.lowercased() == reference.tag!.lowercased() }.map(\.reference))
            entries = entries.filter { wanted.contains($0.pair) }
        }
        if let dataset {
            let name = try zoo.catalog.dataset(named: dataset).name
            entries = entries.filter { $0.dataset == name }
        }
        // Latest run per (pair, dataset).
        var latest: [String: EvaluationEntry] = [:]
        for entry in entries { latest[entry.pair + "\u{0}" + entry.dataset] = entry }
        let rows = latest.values.sorted { ($0.pair, $0.dataset) < ($1.pair, $1.dataset) }
        if json {
            try Output.json(rows.map { entry in
                var result = BenchmarkResult(
                    dataset: entry.dataset, model: String(entry.pair.split(separator: "@")[0]), pretrained: String(entry.pair.split(separator: "@").last!),
                    task: DatasetTask(rawValue: entry.record.task) ?? .classification,
                    metrics: (try? JSONDecoder().decode([String: Double].self, from: Data(entry.record.metrics.utf8))) ?? [:])
                result.seconds = entry.record.seconds
                result.zooVersion = entry.record.zooVersion
                result.createdAt = Output.date(entry.record.createdAt)
                return result
            })
            return
        }
        let datasets = Array(Set(rows.map(\.dataset))).sorted()
        let pairs = Array(Set(rows.map(\.pair))).sorted()
        let headline: [String: String] = Dictionary(uniqueKeysWithValues: rows.map { entry in
            let metrics = JSONValue(parsing: entry.record.metrics).numbersValue ?? [:]
            let key = entry.record.task == DatasetTask.classification.rawValue ? "acc1" : "image_retrieval_recall@1"
            return (entry.pair + "\u{0}" + entry.dataset, metrics[key].map { String(format: "%.2f", $0 * 100) } ?? "-")
        })
        let table = pairs.map { pair in [pair] + datasets.map { headline[pair + "\u{0}" + $0] ?? "" } }
        if csv {
            print((["pair"] + datasets).joined(separator: ","))
            for row in table { print(row.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",")) }
            return
        }
        if rows.isEmpty {
            print("no evaluations yet; run 'zoo eval VISION+TEXT DATASET'")
            return
        }
        Output.table(["PAIR"] + datasets, table)
        print("(classification: top-1 accuracy %; retrieval: text→image recall@1 %)")
    }
}
