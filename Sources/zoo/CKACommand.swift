import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo cka`: how well frozen vision and text encoders already agree, to pick a pair to align.
struct CKACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cka",
        abstract: "Rank vision×text encoder pairs by CKA of their features on the same image–caption pairs (or compare two feature files).",
        discussion: """
            Features as the paper takes them: an image's vision feature is the mean of the encoder's \
            last hidden state over all tokens (from the token cache); its text feature is the sentence \
            embedding of each of its captions, averaged over them. Neither is L2-normalised. --samples \
            takes the first N items of the dataset (default 5000). The rbf kernel is \
            exp(-|x-y|^2 / (2 sigma^2)) with sigma the median of the non-zero pairwise Euclidean \
            distances (pairs i < j) of that feature set. Every pair is stored in the catalog; \
            'zoo cka --list' shows them. With --features, each file holds a tensor 'features' [N, D].
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Vision encoders, comma-separated.", valueName: "names"))
    var vision: String?

    @Option(help: ArgumentHelp("Text encoders, comma-separated.", valueName: "names"))
    var text: String?

    @Option(help: ArgumentHelp("A dataset of image–caption pairs (captions, or captions from labels).", valueName: "name"))
    var data: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Two safetensors files with a tensor 'features' [N, D] each, rows the same samples.", valueName: "file"))
    var features: [String] = []

    @Option(help: "linear or rbf.")
    var kernel: CKAKernel = .linear

    @Option(help: ArgumentHelp("Use the first N items (rows). Default: 5000 items of a dataset, every row of feature files.", valueName: "n"))
    var samples: Int?

    @Option(help: "Images or texts per encoder batch when filling the cache.")
    var batch = 32

    @Flag(help: "List the CKA runs stored in the catalog instead.")
    var list = false

    @OptionGroup var output: OutputOptions

    static let defaultSamples = 5000

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        let encoderForm = vision != nil || text != nil || data != nil
        if list {
            guard !encoderForm, features.isEmpty else { throw ValidationError("--list takes no --vision, --text, --data or --features") }
            return
        }
        if !features.isEmpty {
            guard features.count == 2 else { throw ValidationError("--features takes exactly two files, got \(features.count)") }
            guard !encoderForm else { throw ValidationError("give either --features X Y or --vision, --text and --data, not both") }
            return
        }
        guard vision != nil, text != nil, data != nil else {
            throw ValidationError("give --vision A,B,… --text X,Y,… --data DATASET, or --features X.safetensors Y.safetensors")
        }
    }

    func run() throws {
        let zoo = try global.openZoo()
        if list { return try listRuns(zoo) }
        let report = features.isEmpty ? try encoderPairs(zoo) : try featureFiles(zoo)
        try zoo.catalog.addCKARuns(report.records)
        try show(report)
    }

    /// What a run computed.
    private struct Report {
        struct Pair {
            var vision: String
            var text: String
            var result: CKA.Result
        }
        var dataset: String?
        var samples: Int
        var pairs: [Pair]
        var records: [CKARunRecord]
    }

    // MARK: - Encoders over a dataset

    private func encoderPairs(_ zoo: ModelZoo) throws -> Report {
        let visionEntries = try encoders(vision!, option: "--vision", modality: .vision, zoo: zoo)
        let textEntries = try encoders(text!, option: "--text", modality: .text, zoo: zoo)
        let record = try zoo.catalog.dataset(named: data!)
        guard record.task != DatasetTask.classification.rawValue else {
            throw ZooError(.usage, "dataset '\(record.name)' is a classification dataset; CKA needs image–caption pairs (add it with --captions-from-labels TEMPLATES to make pairs from labels)")
        }
        let reader = try DatasetOpening.reader(record)
        var contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
        let count = min(samples ?? Self.defaultSamples, contents.ids.count)
        contents.ids = Array(contents.ids.prefix(count))
        contents.captions = Array(contents.captions.prefix(count))
        contents.labels = Array(contents.labels.prefix(count))
        if let bare = contents.captions.firstIndex(where: \.isEmpty) {
            throw ZooError(.data, "item '\(contents.ids[bare])' of '\(record.name)' has no captions; CKA needs at least one per image")
        }
        let skipBad = DatasetOptions.parse(record.options).skipBad
        let imageSettings = Embedding.Settings(tokens: true, dtype: .f32, batch: batch, skipBad: skipBad, progress: ProgressBar.factory)
        let textSettings = Embedding.Settings(tokens: false, dtype: .f32, batch: batch, skipBad: skipBad, progress: ProgressBar.factory)
        var imageCaches: [EmbeddingCache] = []
        for entry in visionEntries {
            imageCaches.append(try Embedding.images(zoo: zoo, encoder: entry, dataset: record, reader: reader, contents: contents, settings: imageSettings).cache)
        }
        // Images that failed to decode (with --skip-bad) are left out, for every pair alike.
        let kept = contents.ids.indices.filter { index in imageCaches.allSatisfy { $0.contains(contents.ids[index]) } }
        let captions = kept.map { contents.captions[$0] }
        var unique: [String] = []
        var seen = Set<String>()
        for list in captions { for caption in list where seen.insert(caption).inserted { unique.append(caption) } }
        var textFeatures: [CKAFeatures] = []
        var textBandwidths: [Double?] = []
        for entry in textEntries {
            let cache = try Embedding.texts(zoo: zoo, encoder: entry, texts: unique, settings: textSettings, label: "captions of '\(record.name)'").cache
            let matrix = try Self.captionFeatures(captions, cache: cache, encoder: entry.name)
            let prepared = try cka { try CKAFeatures(matrix, name: "the text features of '\(entry.name)'", kernel: kernel) }
            textFeatures.append(prepared)
            textBandwidths.append(prepared.bandwidth)
        }
        var pairs: [Report.Pair] = []
        var records: [CKARunRecord] = []
        let now = Date()
        for (entry, cache) in zip(visionEntries, imageCaches) {
            let matrix = try Self.imageFeatures(kept.map { contents.ids[$0] }, cache: cache, encoder: entry.name)
            let prepared = try cka { try CKAFeatures(matrix, name: "the vision features of '\(entry.name)'", kernel: kernel) }
            for (textEntry, textPrepared) in zip(textEntries, textFeatures) {
                let score = try cka { try CKA.score(prepared, textPrepared) }
                let result = CKA.Result(score: score, bandwidthX: prepared.bandwidth, bandwidthY: textPrepared.bandwidth)
                pairs.append(Report.Pair(vision: entry.name, text: textEntry.name, result: result))
                records.append(CKARunRecord(
                    visionEncoderId: entry.record.id!, textEncoderId: textEntry.record.id!, datasetId: record.id!,
                    kernel: kernel.rawValue, samples: kept.count, score: score, bandwidthVision: result.bandwidthX,
                    bandwidthText: result.bandwidthY, zooVersion: ZooVersion.current, createdAt: now))
            }
        }
        return Report(dataset: record.name, samples: kept.count, pairs: pairs, records: records)
    }

    /// The encoders a comma-separated option names: 66 for an unknown one, 64 for one of the
    /// other modality.
    private func encoders(_ list: String, option: String, modality: Modality, zoo: ModelZoo) throws -> [EncoderEntry] {
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else {
            throw ZooError(.usage, "\(option) '\(list)' has an empty name; give names separated by commas")
        }
        var entries: [EncoderEntry] = []
        for name in names {
            let entry = try zoo.catalog.encoder(named: name)
            guard entry.record.modality == modality else {
                throw ZooError(.usage, "'\(name)' is a \(entry.record.modality.rawValue) encoder; \(option) takes \(modality.rawValue) encoders")
            }
            if !entries.contains(where: { $0.record.id == entry.record.id }) { entries.append(entry) }
        }
        return entries
    }

    /// Each image's mean token state `[images, tokenWidth]`.
    static func imageFeatures(_ ids: [String], cache: EmbeddingCache, encoder: String) throws -> EmbeddingMatrix {
        let width = cache.layout.tokenWidth
        var values = [Float](repeating: 0, count: ids.count * width)
        var sums = [Double](repeating: 0, count: width)
        var tokens: [Float] = []
        for (row, id) in ids.enumerated() {
            guard let location = cache.location(of: id) else {
                throw ZooError(.noInput, "the image '\(id)' is not in the token cache of '\(encoder)' ('\(cache.folder.path)')")
            }
            guard location.tokenCount > 0 else {
                throw ZooError(.data, "the image '\(id)' has no token states in the cache of '\(encoder)' ('\(cache.folder.path)'); delete that cache folder to rebuild it")
            }
            if tokens.count < location.tokenCount * width { tokens = [Float](repeating: 0, count: location.tokenCount * width) }
            tokens.withUnsafeMutableBufferPointer { cache.copyTokens(location, to: $0.baseAddress!) }
            for column in 0..<width { sums[column] = 0 }
            for token in 0..<location.tokenCount {
                for column in 0..<width { sums[column] += Double(tokens[token * width + column]) }
            }
            for column in 0..<width { values[row * width + column] = Float(sums[column] / Double(location.tokenCount)) }
        }
        return EmbeddingMatrix(values: values, rows: ids.count, width: width)
    }

    /// Each image's mean caption embedding `[images, pooledWidth]`.
    static func captionFeatures(_ captions: [[String]], cache: EmbeddingCache, encoder: String) throws -> EmbeddingMatrix {
        let width = cache.layout.pooledWidth
        var values = [Float](repeating: 0, count: captions.count * width)
        var sums = [Double](repeating: 0, count: width)
        var pooled = [Float](repeating: 0, count: width)
        for (row, list) in captions.enumerated() {
            for column in 0..<width { sums[column] = 0 }
            for caption in list {
                guard let location = cache.location(of: caption) else {
                    throw ZooError(.noInput, "the caption '\(caption)' is not in the text cache of '\(encoder)' ('\(cache.folder.path)')")
                }
                pooled.withUnsafeMutableBufferPointer { cache.copyPooled(location, to: $0.baseAddress!) }
                for column in 0..<width { sums[column] += Double(pooled[column]) }
            }
            for column in 0..<width { values[row * width + column] = Float(sums[column] / Double(list.count)) }
        }
        return EmbeddingMatrix(values: values, rows: captions.count, width: width)
    }

    // MARK: - Feature files

    private func featureFiles(_ zoo: ModelZoo) throws -> Report {
        let paths = features.map(Paths.absolute)
        var matrices: [EmbeddingMatrix] = []
        for path in paths { matrices.append(try Self.readFeatures(path, samples: samples)) }
        let result = try cka { try CKA.compute(matrices[0], matrices[1], kernel: kernel, names: (paths[0], paths[1])) }
        let record = CKARunRecord(
            visionFeatures: paths[0], textFeatures: paths[1], kernel: kernel.rawValue, samples: matrices[0].rows,
            score: result.score, bandwidthVision: result.bandwidthX, bandwidthText: result.bandwidthY,
            zooVersion: ZooVersion.current, createdAt: Date())
        return Report(dataset: nil, samples: matrices[0].rows, pairs: [Report.Pair(vision: paths[0], text: paths[1], result: result)], records: [record])
    }

    /// The `features` tensor of `path` (its first `samples` rows when given).
    static func readFeatures(_ path: String, samples: Int?) throws -> EmbeddingMatrix {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError(.noInput, "features file '\(path)' does not exist")
        }
        do {
            let file = try SafeTensorsFile(url: URL(fileURLWithPath: path))
            guard file.contains("features") else {
                throw ZooError(.data, "'\(path)' has no tensor 'features' (it has \(file.names.sorted().joined(separator: ", ")))")
            }
            let info = try file.info("features")
            guard info.shape.count == 2 else {
                throw ZooError(.data, "'features' in '\(path)' must be 2-D [samples, width], is \(info.shape)")
            }
            let rows = min(info.shape[0], samples ?? info.shape[0])
            let width = info.shape[1]
            let values = try file.floats("features")
            return EmbeddingMatrix(values: Array(values.prefix(rows * width)), rows: rows, width: width)
        } catch let error as SafeTensorsError {
            throw ZooError(.data, "\(path): \(error)")
        }
    }

    // MARK: - Output

    private func show(_ report: Report) throws {
        let ranked = report.pairs.enumerated().sorted { a, b in
            a.element.result.score != b.element.result.score ? a.element.result.score > b.element.result.score : a.offset < b.offset
        }.map(\.element)
        if output.json {
            try Output.json([
                "kernel": kernel.rawValue,
                "samples": report.samples,
                "dataset": report.dataset.map { $0 as Any } ?? NSNull(),
                "pairs": ranked.map { pair in
                    [
                        "vision": pair.vision, "text": pair.text, "cka": pair.result.score,
                        "bandwidth_vision": pair.result.bandwidthX.map { $0 as Any } ?? NSNull(),
                        "bandwidth_text": pair.result.bandwidthY.map { $0 as Any } ?? NSNull(),
                    ] as [String: Any]
                },
            ] as [String: Any])
            return
        }
        let source = report.dataset.map { "the first \(report.samples) items of '\($0)'" } ?? "\(report.samples) samples"
        print("CKA, \(kernel.rawValue) kernel, \(source)" + (kernel == .rbf ? " (bandwidth: median non-zero pairwise distance)" : ""))
        Output.table(
            ["RANK", "VISION", "TEXT", "CKA", "BANDWIDTH_VISION", "BANDWIDTH_TEXT"],
            ranked.enumerated().map { rank, pair in
                ["\(rank + 1)", pair.vision, pair.text, String(format: "%.4f", pair.result.score),
                 Self.number(pair.result.bandwidthX), Self.number(pair.result.bandwidthY)]
            })
    }

    private func listRuns(_ zoo: ModelZoo) throws {
        let runs = try zoo.catalog.ckaRuns()
        if output.json {
            try Output.json(runs.map { entry in
                [
                    "vision": entry.vision, "text": entry.text, "dataset": entry.dataset.map { $0 as Any } ?? NSNull(),
                    "kernel": entry.record.kernel, "samples": entry.record.samples, "cka": entry.record.score,
                    "bandwidth_vision": entry.record.bandwidthVision.map { $0 as Any } ?? NSNull(),
                    "bandwidth_text": entry.record.bandwidthText.map { $0 as Any } ?? NSNull(),
                    "zoo_version": entry.record.zooVersion, "created_at": Output.date(entry.record.createdAt),
                ] as [String: Any]
            })
            return
        }
        if runs.isEmpty {
            print("no CKA runs yet; run 'zoo cka --vision A --text B --data DATASET'")
            return
        }
        Output.table(
            ["VISION", "TEXT", "DATASET", "KERNEL", "SAMPLES", "CKA", "BANDWIDTH_VISION", "BANDWIDTH_TEXT", "CREATED"],
            runs.map { entry in
                [entry.vision, entry.text, entry.dataset ?? "-", entry.record.kernel, "\(entry.record.samples)",
                 String(format: "%.4f", entry.record.score), Self.number(entry.record.bandwidthVision),
                 Self.number(entry.record.bandwidthText), Output.date(entry.record.createdAt)]
            })
    }

    private static func number(_ value: Double?) -> String {
        value.map { String(format: "%.4g", $0) } ?? "-"
    }

    /// Runs `body`, turning a ``CKAError`` into a data error (65).
    private func cka<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CKAError { throw ZooError(.data, error.description) }
    }
}

extension CKAKernel: ExpressibleByArgument {}
