import Foundation
import Registry
import Runtime

/// `zoo cka`'s use-case: how well frozen vision and text encoders already agree, to pick a pair
/// to align (the paper's section 3).
///
/// Features as the paper takes them: an image's vision feature is the mean of the encoder's
/// last hidden state over all tokens (from the token cache); its text feature is the sentence
/// embedding of each of its captions, averaged over them. Neither is L2-normalised.
public enum EncoderAgreement {
    /// Items used when the caller gives no sample count.
    public static let defaultSamples = 5000

    /// What a run computed (`zoo cka --json`): the pairs ranked by CKA, best first.
    public struct Report: Encodable, Sendable {
        /// One pair's score.
        public struct Pair: Sendable {
            /// The vision encoder's name (or the first feature file).
            public var vision: String
            /// The text encoder's name (or the second feature file).
            public var text: String
            /// The score and the rbf bandwidths.
            public var result: CKA.Result
        }

        /// The kernel.
        public var kernel: CKAKernel
        /// The dataset's name; nil for feature files.
        public var dataset: String?
        /// Samples compared.
        public var samples: Int
        /// The pairs in the order computed.
        public var pairs: [Pair]

        /// The pairs best first; ties keep the computed order.
        public var ranked: [Pair] {
            pairs.enumerated().sorted { a, b in
                a.element.result.score != b.element.result.score ? a.element.result.score > b.element.result.score : a.offset < b.offset
            }.map(\.element)
        }

        private struct PairJSON: Encodable {
            var vision: String
            var text: String
            var cka: Double
            var bandwidthVision: Double?
            var bandwidthText: Double?

            enum CodingKeys: String, CodingKey {
                case vision, text, cka
                case bandwidthVision = "bandwidth_vision", bandwidthText = "bandwidth_text"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(vision, forKey: .vision)
                try container.encode(text, forKey: .text)
                try container.encode(cka, forKey: .cka)
                try container.encode(bandwidthVision, forKey: .bandwidthVision)  // null for the linear kernel
                try container.encode(bandwidthText, forKey: .bandwidthText)
            }
        }

        enum CodingKeys: String, CodingKey { case kernel, samples, dataset, pairs }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kernel.rawValue, forKey: .kernel)
            try container.encode(samples, forKey: .samples)
            try container.encode(dataset, forKey: .dataset)  // null for feature files
            try container.encode(ranked.map {
                PairJSON(vision: $0.vision, text: $0.text, cka: $0.result.score, bandwidthVision: $0.result.bandwidthX, bandwidthText: $0.result.bandwidthY)
            }, forKey: .pairs)
        }
    }

    /// Ranks every pair of the encoders `vision` × `text` (comma-separated names) by CKA of
    /// their features on the first `samples` items of the pairs dataset `dataset`, filling the
    /// caches where needed, and stores every pair's run in the catalog.
    ///
    /// - Throws: ``ZooError`` (an unknown encoder or dataset: 66; an encoder of the other
    ///   modality, a classification dataset, an empty name: 64; an item without captions: 65),
    ///   or ``CKAError`` for features CKA cannot use (65).
    public static func rank(
        zoo: ModelZoo, vision: String, text: String, dataset: String, kernel: CKAKernel = .linear, samples: Int? = nil,
        batch: Int = 32, progress: @escaping ProgressFactory = Progress.silent
    ) throws -> Report {
        let visionEntries = try encoders(vision, option: "--vision", modality: .vision, zoo: zoo)
        let textEntries = try encoders(text, option: "--text", modality: .text, zoo: zoo)
        let record = try zoo.catalog.dataset(named: dataset)
        guard record.task != DatasetTask.classification.rawValue else {
            throw ZooError(.usage, "dataset '\(record.name)' is a classification dataset; CKA needs image–caption pairs (add it with --captions-from-labels TEMPLATES to make pairs from labels)")
        }
        let reader = try DatasetOpening.reader(record)
        var contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
        let count = min(samples ?? defaultSamples, contents.ids.count)
        contents.ids = Array(contents.ids.prefix(count))
        contents.captions = Array(contents.captions.prefix(count))
        contents.labels = Array(contents.labels.prefix(count))
        if let bare = contents.captions.firstIndex(where: \.isEmpty) {
            throw ZooError(.data, "item '\(contents.ids[bare])' of '\(record.name)' has no captions; CKA needs at least one per image")
        }
        let skipBad = DatasetOptions.parse(record.options).skipBad
        let imageSettings = Embedding.Settings(tokens: true, dtype: .f32, batch: batch, skipBad: skipBad, progress: progress)
        let textSettings = Embedding.Settings(tokens: false, dtype: .f32, batch: batch, skipBad: skipBad, progress: progress)
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
            let prepared = try CKAFeatures(matrix, name: "the text features of '\(entry.name)'", kernel: kernel)
            textFeatures.append(prepared)
            textBandwidths.append(prepared.bandwidth)
        }
        var pairs: [Report.Pair] = []
        var records: [CKARunRecord] = []
        let now = Date()
        for (entry, cache) in zip(visionEntries, imageCaches) {
            let matrix = try Self.imageFeatures(kept.map { contents.ids[$0] }, cache: cache, encoder: entry.name)
            let prepared = try CKAFeatures(matrix, name: "the vision features of '\(entry.name)'", kernel: kernel)
            for (textEntry, textPrepared) in zip(textEntries, textFeatures) {
                let score = try CKA.score(prepared, textPrepared)
                let result = CKA.Result(score: score, bandwidthX: prepared.bandwidth, bandwidthY: textPrepared.bandwidth)
                pairs.append(Report.Pair(vision: entry.name, text: textEntry.name, result: result))
                records.append(CKARunRecord(
                    visionEncoderId: entry.record.id!, textEncoderId: textEntry.record.id!, datasetId: record.id!,
                    kernel: kernel.rawValue, samples: kept.count, score: score, bandwidthVision: result.bandwidthX,
                    bandwidthText: result.bandwidthY, zooVersion: ZooVersion.current, createdAt: now))
            }
        }
        try zoo.catalog.addCKARuns(records)
        return Report(kernel: kernel, dataset: record.name, samples: kept.count, pairs: pairs)
    }

    /// The encoders a comma-separated option names: 66 for an unknown one, 64 for one of the
    /// other modality.
    private static func encoders(_ list: String, option: String, modality: Modality, zoo: ModelZoo) throws -> [EncoderEntry] {
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
    public static func imageFeatures(_ ids: [String], cache: EmbeddingCache, encoder: String) throws -> EmbeddingMatrix {
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
    public static func captionFeatures(_ captions: [[String]], cache: EmbeddingCache, encoder: String) throws -> EmbeddingMatrix {
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

    /// CKA of two feature files (a tensor `features` [N, D] each, rows the same samples; the
    /// first `samples` rows when given), stored in the catalog.
    public static func compare(zoo: ModelZoo, features: [URL], kernel: CKAKernel = .linear, samples: Int? = nil) throws -> Report {
        precondition(features.count == 2, "EncoderAgreement.compare takes two feature files")
        let paths = features.map(\.path)
        var matrices: [EmbeddingMatrix] = []
        for path in paths { matrices.append(try Self.readFeatures(path, samples: samples)) }
        let result = try CKA.compute(matrices[0], matrices[1], kernel: kernel, names: (paths[0], paths[1]))
        let record = CKARunRecord(
            visionFeatures: paths[0], textFeatures: paths[1], kernel: kernel.rawValue, samples: matrices[0].rows,
            score: result.score, bandwidthVision: result.bandwidthX, bandwidthText: result.bandwidthY,
            zooVersion: ZooVersion.current, createdAt: Date())
        try zoo.catalog.addCKARuns([record])
        return Report(kernel: kernel, dataset: nil, samples: matrices[0].rows, pairs: [Report.Pair(vision: paths[0], text: paths[1], result: result)])
    }

    /// The `features` tensor of `path` (its first `samples` rows when given).
    public static func readFeatures(_ path: String, samples: Int?) throws -> EmbeddingMatrix {
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

}
