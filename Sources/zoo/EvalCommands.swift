import ArgumentParser
import Foundation
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

    enum Task: String, ExpressibleByArgument, CaseIterable { case auto, classification, retrieval }

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
        let started = Date()
        let zoo = try global.openZoo()
        let entry = try zoo.catalog.projectorEntry(for: try PairReference(parsing: pair))
        let record = try zoo.catalog.dataset(named: dataset)
        let chosen = try resolveTask(record)
        let weights = zoo.store.folder(for: entry.record.checkpointDigest).appendingPathComponent("projector.safetensors")
        let projector: PairProjector
        do { projector = try PairProjector(contentsOf: weights) } catch {
            throw ZooError(.data, "cannot load the projector of \(entry.reference): \(error); run 'zoo verify'")
        }
        let vision = try zoo.catalog.encoder(named: entry.visionName)
        let text = try zoo.catalog.encoder(named: entry.textName)
        let reader = try DatasetOpening.reader(record)
        let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
        let settings = Embedding.Settings(
            tokens: projector.architecture.input == .tokens, dtype: .f32, batch: batch,
            skipBad: DatasetOptions.parse(record.options).skipBad)
        let images = try Embedding.images(zoo: zoo, encoder: vision, dataset: record, reader: reader, contents: contents, settings: settings)
        let kept = contents.ids.indices.filter { images.cache.contains(contents.ids[$0]) }
        let scored: (metrics: [String: Double], seconds: Double, details: String?)
        if chosen == .classification {
            scored = try classify(zoo: zoo, record: record, reader: reader, contents: contents, kept: kept, images: images.cache, text: text, projector: projector, settings: settings)
        } else {
            scored = try retrieve(zoo: zoo, record: record, contents: contents, kept: kept, images: images.cache, text: text, projector: projector, settings: settings)
        }
        let metrics = scored.metrics
        let scoringSeconds = scored.seconds
        let seconds = Date().timeIntervalSince(started)
        let metricsText = String(decoding: try JSONSerialization.data(withJSONObject: metrics, options: [.sortedKeys]), as: UTF8.self)
        try zoo.catalog.addEvaluation(EvalRunRecord(
            projectorId: entry.record.id!, datasetId: record.id!, task: chosen.rawValue, metrics: metricsText,
            seconds: seconds, zooVersion: ZooVersion.current, createdAt: Date(), details: scored.details))
        var extra: [String: Any] = ["items": kept.count, "seconds": seconds, "scoring_seconds": scoringSeconds, "zoo_version": ZooVersion.current]
        var perClass: [(String, Double)] = []
        if let details = Output.embedded(scored.details) as? [String: Any],
           let names = details["class_names"] as? [String], let recall = details["per_class_recall"] as? [Double] {
            perClass = Array(zip(names, recall))
            extra["per_class_recall"] = Dictionary(perClass, uniquingKeysWith: { first, _ in first })
        }
        let result = EvaluationJSON.result(
            dataset: record.name, pair: "\(entry.visionName)+\(entry.textName)", tag: entry.record.tag, task: chosen, metrics: metrics,
            extra: extra)
        if let output {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try DurableFile.write(data, to: URL(fileURLWithPath: Paths.absolute(output)))
        }
        if outputOptions.json {
            try Output.json(result)
        } else {
            print("\(entry.reference) on \(record.name) (\(chosen.rawValue), \(kept.count) images, \(String(format: "%.1f", seconds)) s)")
            Output.table(["METRIC", "VALUE"], metrics.keys.sorted().map { [$0, String(format: "%.4f", metrics[$0]!)] })
            if !perClass.isEmpty && perClass.count <= 30 {
                Output.table(["CLASS", "TOP-1"], perClass.map { [$0.0, String(format: "%.4f", $0.1)] })
            }
        }
    }

    private func classify(
        zoo: ModelZoo, record: DatasetRecord, reader: any DatasetReader, contents: DatasetContents, kept: [Int],
        images: EmbeddingCache, text: EncoderEntry, projector: PairProjector, settings: Embedding.Settings
    ) throws -> (metrics: [String: Double], seconds: Double, details: String?) {
        guard let classNames = reader.classNames else {
            throw ZooError(.usage, "dataset '\(record.name)' has no class names; re-add it with --classnames FILE")
        }
        let templates = reader.templates ?? [LabelCaptioner.defaultTemplate]
        let prompts = classNames.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        let captions = try Embedding.texts(zoo: zoo, encoder: text, texts: prompts, settings: settings, label: "prompts of '\(record.name)'")
        var labels: [Int] = []
        for index in kept {
            guard let label = contents.labels[index] else {
                throw ZooError(.data, "item '\(contents.ids[index])' of '\(record.name)' has no label; classification needs one per item")
            }
            labels.append(label)
        }
        let start = Date()
        let imageMatrix = try project { try CachedProjection.images(kept.map { contents.ids[$0] }, cache: images, projector: projector) }
        let promptMatrix = try project { try CachedProjection.texts(prompts, cache: captions.cache, projector: projector) }
        let classes = promptMatrix.classEmbeddings(promptsPerClass: templates.count)
        let result: ClassificationResult
        do { result = try Scorer.classificationResult(images: imageMatrix, classes: classes, labels: labels) } catch {
            throw ZooError(.data, error.description)
        }
        let details: [String: Any] = ["class_names": classNames, "per_class_recall": result.perClassRecall, "confusion": result.confusion]
        let detailsText = String(decoding: try JSONSerialization.data(withJSONObject: details, options: [.sortedKeys]), as: UTF8.self)
        return (result.metrics, Date().timeIntervalSince(start), detailsText)
    }

    private func retrieve(
        zoo: ModelZoo, record: DatasetRecord, contents: DatasetContents, kept: [Int],
        images: EmbeddingCache, text: EncoderEntry, projector: PairProjector, settings: Embedding.Settings
    ) throws -> (metrics: [String: Double], seconds: Double, details: String?) {
        var texts: [String] = []
        var textImage: [Int] = []
        for (position, index) in kept.enumerated() {
            for caption in contents.captions[index] {
                texts.append(caption)
                textImage.append(position)
            }
        }
        guard !texts.isEmpty else { throw ZooError(.data, "dataset '\(record.name)' has no captions to retrieve") }
        let captions = try Embedding.texts(zoo: zoo, encoder: text, texts: texts, settings: settings, label: "captions of '\(record.name)'")
        let start = Date()
        let imageMatrix = try project { try CachedProjection.images(kept.map { contents.ids[$0] }, cache: images, projector: projector) }
        let textMatrix = try project { try CachedProjection.texts(texts, cache: captions.cache, projector: projector) }
        let metrics = try score { try Scorer.retrieval(images: imageMatrix, texts: textMatrix, textImage: textImage) }
        return (metrics, Date().timeIntervalSince(start), nil)
    }

    private func score(_ body: () throws -> [String: Double]) throws -> [String: Double] {
        do { return try body() } catch let error as EvaluationError { throw ZooError(.data, error.description) }
    }

    private func resolveTask(_ record: DatasetRecord) throws -> DatasetTask {
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

    private func project(_ body: () throws -> EmbeddingMatrix) throws -> EmbeddingMatrix {
        try body()
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
            try Output.json(["task": kind == .classification ? "zeroshot_classification" : "zeroshot_retrieval", "metrics": metrics] as [String: Any])
        } else {
            Output.table(["METRIC", "VALUE"], metrics.keys.sorted().map { [$0, String(format: "%.4f", metrics[$0]!)] })
        }
    }

    private func matrix(_ file: SafeTensorsFile, _ name: String) throws -> EmbeddingMatrix {
        guard file.contains(name) else { throw ZooError(.data, "'\(file.fileName)' has no tensor '\(name)'") }
        let info = try file.info(name)
        guard info.shape.count == 2 else { throw ZooError(.data, "'\(name)' in '\(file.fileName)' must be 2-D [rows, width], is \(info.shape)") }
        do { return EmbeddingMatrix(values: try file.floats(name), rows: info.shape[0], width: info.shape[1]) } catch {
            throw ZooError(.data, "\(error)")
        }
    }

    private func indices(_ file: SafeTensorsFile, _ name: String) throws -> [Int] {
        guard file.contains(name) else { throw ZooError(.data, "'\(file.fileName)' has no tensor '\(name)'") }
        do { return try file.int64s(name).map { Int(clamping: $0) } } catch { throw ZooError(.data, "\(error)") }
    }
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
                EvaluationJSON.result(
                    dataset: entry.dataset, pair: String(entry.pair.split(separator: "@")[0]), tag: String(entry.pair.split(separator: "@").last!),
                    task: DatasetTask(rawValue: entry.record.task) ?? .classification,
                    metrics: (Output.embedded(entry.record.metrics) as? [String: Double]) ?? [:],
                    extra: ["seconds": entry.record.seconds, "zoo_version": entry.record.zooVersion, "created_at": Output.date(entry.record.createdAt)])
            })
            return
        }
        let datasets = Array(Set(rows.map(\.dataset))).sorted()
        let pairs = Array(Set(rows.map(\.pair))).sorted()
        let headline: [String: String] = Dictionary(uniqueKeysWithValues: rows.map { entry in
            let metrics = (Output.embedded(entry.record.metrics) as? [String: Double]) ?? [:]
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

/// CLIP_benchmark's result shape.
enum EvaluationJSON {
    static func result(dataset: String, pair: String, tag: String, task: DatasetTask, metrics: [String: Double], extra: [String: Any]) -> [String: Any] {
        var object: [String: Any] = [
            "dataset": dataset, "model": pair, "pretrained": tag,
            "task": task == .classification ? "zeroshot_classification" : "zeroshot_retrieval",
            "metrics": metrics,
        ]
        for (key, value) in extra { object[key] = value }
        return object
    }
}
