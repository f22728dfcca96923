import Foundation
import Registry
import Runtime

/// `K/N`: this machine's part of a dataset, items whose index modulo N is K.
public struct ShardSelection: Equatable, Sendable {
    public var index = 0
    public var count = 1

    /// Parses `K/N` with 0 ≤ K < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw ZooError(.usage, "--shard '\(text)' is not K/N with 0 <= K < N, e.g. --shard 0/4")
        }
        index = k
        count = n
    }

    public init() {}

    /// Whether item number `position` belongs to this shard.
    public func contains(_ position: Int) -> Bool { position % count == index }

    /// The label of this shard's cache segments.
    public var label: String { ShardLabel.make(index: index, count: count) }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }
}

/// Fills embedding caches for commands (`zoo embed`, and `zoo train` for what is missing):
/// only items not yet cached are encoded, and the encoder is not even loaded when none are.
public enum Embedding {
    /// Settings shared by both modalities.
    public struct Settings {
        /// Whether token states are cached besides the pooled embedding.
        public var tokens: Bool
        /// The stored dtype.
        public var dtype: EmbeddingDType
        /// This machine's part of the dataset.
        public var shard = ShardSelection()
        /// Items per encoder batch.
        public var batch = 32
        /// Whether unreadable images are skipped and counted.
        public var skipBad = false
        /// When true, only caches of exactly ``dtype`` serve (`zoo embed --dtype`); otherwise a
        /// complete cache of the other dtype is used rather than computing again.
        public var strictDType = false
        /// Makes the reporter of each cache fill; silent by default.
        public var progress: ProgressFactory = Progress.silent
        /// When true, only the cache of exactly these settings is read and filled (shard tasks:
        /// their markers must describe the folder they wrote).
        public var exactCache = false
        /// Items per cache segment file: what a killed run loses at most.
        public var segmentItems = 2048
        /// Metadata every new cache segment carries (shard tasks: the encoder and dataset digests).
        public var segmentMetadata: [String: String] = [:]

        /// Settings for caches of `dtype`, with token states when `tokens`.
        public init(
            tokens: Bool, dtype: EmbeddingDType, shard: ShardSelection = ShardSelection(), batch: Int = 32,
            skipBad: Bool = false, strictDType: Bool = false, progress: @escaping ProgressFactory = Progress.silent
        ) {
            self.tokens = tokens
            self.dtype = dtype
            self.shard = shard
            self.batch = batch
            self.skipBad = skipBad
            self.strictDType = strictDType
            self.progress = progress
        }
    }

    /// Makes sure every image of `dataset` in the shard is in the image cache of `encoder`.
    public static func images(
        zoo: ModelZoo, encoder entry: EncoderEntry, dataset: DatasetRecord, reader: any DatasetReader,
        contents: DatasetContents, settings: Settings
    ) throws -> (cache: EmbeddingCache, encoded: Int, failures: Int) {
        let folder = EmbeddingCaches.imageFolder(home: zoo.home, encoder: entry, dataset: dataset, tokens: settings.tokens, dtype: settings.dtype)
        let wantedIDs = contents.ids.enumerated().filter { settings.shard.contains($0.offset) }.map(\.element)
        // Another complete cache of the same encoder and data serves too: one with token states
        // for pooled use, or the other dtype.
        for alternative in alternatives(settings) where !settings.exactCache {
            let other = EmbeddingCaches.imageFolder(home: zoo.home, encoder: entry, dataset: dataset, tokens: alternative.tokens, dtype: alternative.dtype)
            if let cache = try EmbeddingCaches.open(other), wantedIDs.allSatisfy(cache.contains) {
                ZooLog.cache.debug("image cache \(other.lastPathComponent) of '\(entry.name)' on '\(dataset.name)': all \(wantedIDs.count) items cached (hits)")
                return (cache, 0, 0)
            }
        }
        let existing = try EmbeddingCaches.open(folder)
        let missing = Set(wantedIDs.filter { existing?.contains($0) != true })
        ZooLog.cache.debug("image cache \(folder.lastPathComponent) of '\(entry.name)' on '\(dataset.name)': \(wantedIDs.count - missing.count) of \(wantedIDs.count) items cached (hits), \(missing.count) to encode (misses)")
        if let existing, missing.isEmpty { return (existing, 0, 0) }
        let (_, encoder, preprocessor) = try EncoderLoading.visionEncoder(entry.name, zoo: zoo)
        guard let preprocessor else {
            throw ZooError(.data, "encoder '\(entry.name)' has no preprocessor_config.json, so zoo cannot prepare dataset images for it; re-add it from a folder that has one")
        }
        let layout = EmbeddingCacheLayout(pooledWidth: encoder.width, tokenWidth: encoder.tokenWidth, tokens: settings.tokens, dtype: settings.dtype)
        let writer: EmbeddingCacheWriter
        writer = try EmbeddingCacheWriter(folder: folder, layout: layout, label: settings.shard.label, itemsPerSegment: settings.segmentItems, segmentMetadata: settings.segmentMetadata)
        let iterator: any DatasetIterator
        iterator = try reader.makeIterator()
        let wanted = missing
        let loader = DatasetImageLoader(
            iterator: iterator, preprocessor: preprocessor, batchSize: settings.batch, skipBad: settings.skipBad,
            include: { wanted.contains($0.id) })
        let bar = settings.progress("embed \(entry.name) \(dataset.name)", missing.count, "images")
        let outcome: EmbeddingOutcome
        do {
            outcome = try EmbeddingJobs.embedImages(loader: loader, encoder: encoder, writer: writer) { progress in
                bar.update(done: progress.encoded + progress.failed, seconds: progress.seconds, extra: "")
            }
        } catch let error as DatasetLoadError {
            switch error {
            case .dataset(let inner): throw inner
            // A bad image stops the fill as bad data (65), the file present or not.
            case .image: throw ZooError(.data, error.description)
            }
        }
        let rate = outcome.seconds > 0 ? Double(outcome.encoded) / outcome.seconds : 0
        var summary = String(format: "embedded %d images of '%@' with '%@' in %.1f s (%.1f images/s)", outcome.encoded, dataset.name, entry.name, outcome.seconds, rate)
        if !outcome.failures.isEmpty {
            summary += "; skipped \(outcome.failures.count) bad images (first: \(outcome.failures[0].id): \(outcome.failures[0].reason))"
        }
        bar.finish(summary)
        guard let cache = try EmbeddingCaches.open(folder) else {
            throw ZooError(.software, "the cache '\(folder.path)' vanished while it was being built")
        }
        return (cache, outcome.encoded, outcome.failures.count)
    }

    /// Makes sure every text of `texts` (those of the shard) is in the text cache of `encoder`.
    public static func texts(zoo: ModelZoo, encoder entry: EncoderEntry, texts: [String], settings: Settings, label: String) throws -> (cache: EmbeddingCache, encoded: Int) {
        let folder = EmbeddingCaches.textFolder(home: zoo.home, encoder: entry, tokens: settings.tokens, dtype: settings.dtype)
        let wantedTexts = texts.enumerated().filter { settings.shard.contains($0.offset) }.map(\.element)
        for alternative in alternatives(settings) {
            let other = EmbeddingCaches.textFolder(home: zoo.home, encoder: entry, tokens: alternative.tokens, dtype: alternative.dtype)
            if let cache = try EmbeddingCaches.open(other), wantedTexts.allSatisfy(cache.contains) {
                ZooLog.cache.debug("text cache \(other.lastPathComponent) of '\(entry.name)' for \(label): all \(wantedTexts.count) texts cached (hits)")
                return (cache, 0)
            }
        }
        let existing = try EmbeddingCaches.open(folder)
        let missing = texts.enumerated().filter { settings.shard.contains($0.offset) && existing?.contains($0.element) != true }.map(\.element)
        ZooLog.cache.debug("text cache \(folder.lastPathComponent) of '\(entry.name)' for \(label): \(wantedTexts.count - missing.count) of \(wantedTexts.count) texts cached (hits), \(missing.count) to encode (misses)")
        if let existing, missing.isEmpty { return (existing, 0) }
        let (_, encoder) = try EncoderLoading.textEncoder(entry.name, zoo: zoo)
        let probe = try encoder.encode([missing.first ?? "a"])
        let layout = EmbeddingCacheLayout(
            pooledWidth: probe.pooled.dimension(1), tokenWidth: probe.tokens.dimension(2), tokens: settings.tokens, dtype: settings.dtype)
        let bar = settings.progress("embed \(entry.name) \(label)", missing.count, "texts")
        let outcome: EmbeddingOutcome
        let writer = try EmbeddingCacheWriter(folder: folder, layout: layout, label: settings.shard.label, itemsPerSegment: settings.segmentItems)
        outcome = try EmbeddingJobs.embedTexts(missing, encoder: encoder, writer: writer, batchSize: settings.batch) { progress in
            bar.update(done: progress.encoded, seconds: progress.seconds, extra: "")
        }
        let rate = outcome.seconds > 0 ? Double(outcome.encoded) / outcome.seconds : 0
        bar.finish(String(format: "embedded %d texts of %@ with '%@' in %.1f s (%.1f texts/s)", outcome.encoded, label, entry.name, outcome.seconds, rate))
        guard let cache = try EmbeddingCaches.open(folder) else {
            throw ZooError(.software, "the cache '\(folder.path)' vanished while it was being built")
        }
        return (cache, outcome.encoded)
    }

    /// The other cache variants that can serve a request, in order of preference: the requested
    /// one first, then (for pooled use) the one with token states, then the other dtype — an
    /// explicit `--dtype` only rules out the other dtype when the caller says so.
    private static func alternatives(_ settings: Settings) -> [(tokens: Bool, dtype: EmbeddingDType)] {
        var list: [(tokens: Bool, dtype: EmbeddingDType)] = [(settings.tokens, settings.dtype)]
        if !settings.tokens { list.append((true, settings.dtype)) }
        if !settings.strictDType {
            let other: EmbeddingDType = settings.dtype == .f32 ? .f16 : .f32
            list.append((settings.tokens, other))
            if !settings.tokens { list.append((true, other)) }
        }
        return list
    }

    /// Reads a dataset's ids and captions, recording its size and id digest in the catalog
    /// unless `recording` is false (shard tasks, which never write the catalog).
    public static func contents(zoo: ModelZoo, dataset: DatasetRecord, reader: any DatasetReader, recording: Bool = true) throws -> DatasetContents {
        let options = DatasetOptions.parse(dataset.options)
        let templates = try options.captionTemplatesFile.map { file in
            try DatasetOpening.captionLines(file, classNames: reader.classNames ?? [])
        }
        var excluded = Set<Int>()
        for name in options.excludedClasses ?? [] {
            guard let index = reader.classNames?.firstIndex(of: name) else {
                throw ZooError(.data, "dataset '\(dataset.name)' excludes class '\(name)', which its class names no longer hold; re-add the dataset")
            }
            excluded.insert(index)
        }
        let contents: DatasetContents
        contents = try DatasetContents.read(reader, captionTemplates: templates, excludedLabels: excluded)
        guard !contents.ids.isEmpty else {
            throw ZooError(.noInput, "dataset '\(dataset.name)' has no items at '\(dataset.path)'")
        }
        let digest = idsDigest(contents)
        if recording, dataset.itemCount != contents.ids.count || dataset.idsDigest != digest {
            try zoo.catalog.recordDatasetSummary(id: dataset.id!, itemCount: contents.ids.count, idsDigest: digest)
        }
        return contents
    }

    /// The SHA-256 of a dataset's item ids, one per line: the dataset digest of shard markers
    /// and the catalog's `ids_digest`.
    public static func idsDigest(_ contents: DatasetContents) -> String {
        ContentHash.sha256(contents.ids.joined(separator: "\n"))
    }

    /// The texts a dataset needs embedded: its captions, or for a classification dataset its
    /// prompts (templates × class names).
    public static func texts(of contents: DatasetContents, reader: any DatasetReader, task: String) -> [String] {
        if task == DatasetTask.classification.rawValue, let names = reader.classNames {
            let templates = reader.templates ?? [LabelCaptioner.defaultTemplate]
            return names.flatMap { name in templates.map { $0.replacingOccurrences(of: "{c}", with: name) } }
        }
        return contents.uniqueCaptions
    }
}
