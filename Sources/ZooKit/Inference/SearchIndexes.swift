import Foundation
import Registry
import Runtime

/// Search indexes of a trained pair: `zoo index build|list|remove`, `zoo search`, and the
/// server's `/v1/search`.
///
/// An index holds the pair's projected, L2-normalised image embeddings (F16 or F32) and their
/// ids (dataset item ids, or image paths), stored as a checkpoint in the zoo home
/// (`config.json`, `vectors.safetensors`, `ids.json`) and recorded in the catalog with the
/// projector checkpoint that made it. Dataset images go through the embedding cache and
/// `CachedProjection`, so an index holds the numbers `zoo eval` scores.
public enum SearchIndexes {
    /// Where an index's images come from.
    public enum Source: Sendable {
        /// A registered dataset (every item the cache holds).
        case dataset(String)
        /// Image files (folders and globs already expanded).
        case images([URL])
    }

    /// What to build.
    public struct BuildRequest: Sendable {
        /// The index's name; default: the dataset's name, or the first folder's name.
        public var name: String?
        /// The trained pair.
        public var pair: PairReference
        /// The images.
        public var source: Source
        /// How the vectors are stored.
        public var dtype: EmbeddingDType = .f16
        /// Images per encoder call.
        public var batch = 32
        /// Leave out image files that cannot be decoded instead of stopping.
        public var skipBad = false

        /// A request for `pair` over `source`.
        public init(pair: PairReference, source: Source) {
            self.pair = pair
            self.source = source
        }
    }

    /// One index as `zoo index list` shows it.
    public struct Summary: Sendable, Encodable, Equatable {
        public var name: String
        public var pair: String
        public var dataset: String?
        public var source: String
        public var count: Int
        public var width: Int
        public var dtype: String
        public var checkpointDigest: String
        public var projectorDigest: String
        public var createdAt: Date

        init(_ entry: SearchIndexEntry) {
            name = entry.record.name
            pair = entry.pair
            dataset = entry.dataset
            source = entry.record.source
            count = entry.record.count
            width = entry.record.width
            dtype = entry.record.dtype
            checkpointDigest = entry.record.checkpointDigest
            projectorDigest = entry.record.projectorDigest
            createdAt = entry.record.createdAt
        }

        enum CodingKeys: String, CodingKey {
            case name, pair, dataset, source, count, width, dtype
            case checkpointDigest = "checkpoint_digest"
            case projectorDigest = "projector_digest"
            case createdAt = "created_at"
        }
    }

    /// What a build gives.
    public struct BuildOutcome: Sendable, Encodable {
        public var index: Summary
        /// Images left out with `skipBad`.
        public var skipped: [String]
        public var seconds: Double
    }

    /// The file names inside an index checkpoint.
    static let vectorsFile = "vectors.safetensors"
    static let idsFile = "ids.json"

    /// Embeds the source's images with the pair, stores the index and records it.
    ///
    /// - Throws: ``ZooError``: unknown pair or dataset 66, a name in use 65, an image that cannot
    ///   be read (without `skipBad`), no image at all 65.
    public static func build(
        zoo: ModelZoo, request: BuildRequest, skipped report: (ImageFailure) -> Void = { _ in },
        progress: @escaping ProgressFactory = Progress.silent
    ) throws -> BuildOutcome {
        let started = Date()
        let entry = try zoo.catalog.projectorEntry(for: request.pair)
        let name = request.name ?? defaultName(request.source)
        try EncoderName.validate(name, role: "index name")
        if try zoo.catalog.hasSearchIndex(named: name) {
            throw ZooError(.data, "an index named '\(name)' exists; remove it first ('zoo index remove \(name)') or pick another --name")
        }
        var ids: [String] = []
        var vectors: [Float] = []
        var skipped: [String] = []
        var datasetId: Int64?
        let sourceText: String
        let width: Int
        switch request.source {
        case .dataset(let datasetName):
            let record = try zoo.catalog.dataset(named: datasetName)
            let weights = zoo.store.folder(for: entry.record.checkpointDigest).appendingPathComponent("projector.safetensors")
            let projector: PairProjector
            do { projector = try PairProjector(contentsOf: weights) } catch {
                throw ZooError(.data, "cannot load the projector of \(entry.reference): \(error); run 'zoo verify'")
            }
            let vision = try zoo.catalog.encoder(named: entry.visionName)
            let reader = try DatasetOpening.reader(record)
            let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
            var settings = Embedding.Settings(
                tokens: projector.architecture.input == .tokens, dtype: .f32, batch: request.batch,
                skipBad: DatasetOptions.parse(record.options).skipBad)
            settings.progress = progress
            let cache = try Embedding.images(zoo: zoo, encoder: vision, dataset: record, reader: reader, contents: contents, settings: settings).cache
            ids = contents.ids.filter(cache.contains)
            let matrix = try CachedProjection.images(ids, cache: cache, projector: projector)
            vectors = matrix.values
            width = matrix.width
            datasetId = record.id
            sourceText = "dataset \(record.name)"
        case .images(let urls):
            var pair = try AlignedPair.load(zoo: zoo, pair: request.pair)
            pair.batchSize = max(1, request.batch)
            let reporter = progress("index", urls.count, "images")
            var done = 0
            skipped = try pair.embedImages(urls, skipBad: request.skipBad, skipped: report) { batchIDs, rows in
                ids += batchIDs
                vectors += rows.values
                done += batchIDs.count
                reporter.update(done: done, seconds: Date().timeIntervalSince(started), extra: "")
            }
            reporter.finish("embedded \(ids.count) images with \(pair.reference)")
            width = pair.width
            sourceText = urls.count == 1 ? urls[0].path : "\(urls.count) image files"
        }
        guard !ids.isEmpty else { throw ZooError(.data, "no image to index: every image was skipped or the source is empty") }
        let record = try store(
            zoo: zoo, name: name, entry: entry, datasetId: datasetId, source: sourceText, ids: ids, vectors: vectors,
            width: width, dtype: request.dtype)
        let summary = try zoo.catalog.searchIndex(named: record.name)
        return BuildOutcome(index: Summary(summary), skipped: skipped, seconds: Date().timeIntervalSince(started))
    }

    /// The default name of an index over `source`.
    static func defaultName(_ source: Source) -> String {
        switch source {
        case .dataset(let name): return name
        case .images(let urls):
            let folder = urls.first.map { $0.deletingLastPathComponent().lastPathComponent } ?? "images"
            return folder.isEmpty || folder == "/" ? "images" : folder
        }
    }

    /// Writes the index folder in a staging folder of the zoo home, stores it and records it.
    private static func store(
        zoo: ModelZoo, name: String, entry: ProjectorEntry, datasetId: Int64?, source: String, ids: [String],
        vectors: [Float], width: Int, dtype: EmbeddingDType
    ) throws -> SearchIndexRecord {
        let staging = zoo.home.url.appendingPathComponent("indexes/.staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        let config = IndexConfig(
            pair: entry.reference, projectorDigest: entry.record.checkpointDigest, count: ids.count, width: width,
            dtype: dtype.rawValue, source: source)
        do {
            try DurableFile.write(try JSONEncoder.sortedKeys.encode(config), to: staging.appendingPathComponent("config.json"))
            try DurableFile.write(try JSONEncoder.sortedKeys.encode(ids), to: staging.appendingPathComponent(idsFile))
            try VectorIndex.write(
                vectors, count: ids.count, width: width, dtype: dtype == .f16 ? .float16 : .float32,
                metadata: ["pair": entry.reference, "projector_digest": entry.record.checkpointDigest],
                to: staging.appendingPathComponent(vectorsFile))
        } catch let error as any ReportableError {
            throw error
        } catch {
            throw ZooError(.io, "cannot write the index into '\(staging.path)': \(error)")
        }
        let record = SearchIndexRecord(
            name: name, projectorId: entry.record.id!, projectorDigest: entry.record.checkpointDigest, datasetId: datasetId,
            source: source, count: ids.count, width: width, dtype: dtype.rawValue, createdAt: Date())
        return try zoo.addSearchIndex(record, from: try CheckpointFolder(url: staging))
    }

    /// `config.json` of an index checkpoint.
    struct IndexConfig: Codable {
        var pair: String
        var projectorDigest: String
        var count: Int
        var width: Int
        var dtype: String
        var source: String
        var format = "zoo-search-index"

        enum CodingKeys: String, CodingKey {
            case pair, count, width, dtype, source, format
            case projectorDigest = "projector_digest"
        }
    }

    /// Every index.
    public static func list(zoo: ModelZoo) throws -> [Summary] {
        try zoo.catalog.searchIndexes().map(Summary.init)
    }

    /// Removes the index `name` and its files.
    public static func remove(zoo: ModelZoo, name: String) throws -> Summary {
        Summary(try zoo.removeSearchIndex(named: name))
    }

    /// One hit of a search.
    public struct Hit: Sendable, Encodable, Equatable {
        public var rank: Int
        /// The item id or image path.
        public var id: String
        /// The cosine similarity with the query.
        public var score: Float
    }

    /// An index opened for searching: its vectors memory-mapped and its ids in memory.
    public final class Opened: Sendable {
        /// The catalog row.
        public let summary: Summary
        /// The vectors.
        public let vectors: VectorIndex
        /// The ids, one per vector.
        public let ids: [String]

        init(summary: Summary, vectors: VectorIndex, ids: [String]) {
            self.summary = summary
            self.vectors = vectors
            self.ids = ids
        }

        /// The best `k` hits of each row of `queries` (normalised joint-space embeddings).
        public func search(_ queries: EmbeddingMatrix, k: Int) throws -> [[Hit]] {
            guard queries.width == vectors.width else {
                throw ZooError(.data, "queries are \(queries.width) wide but index '\(summary.name)' holds vectors of width \(vectors.width)")
            }
            return vectors.search(queries.values, queryCount: queries.rows, k: k).map { hits in
                hits.enumerated().map { Hit(rank: $0.offset + 1, id: ids[$0.element.row], score: $0.element.score) }
            }
        }
    }

    /// Opens the index `name`; with `pair`, checks that the index was built with that pair's
    /// current projector checkpoint.
    ///
    /// - Throws: ``ZooError``: unknown index 66 with the nearest names; another checkpoint 65
    ///   saying which; files that do not match the catalog 65.
    public static func open(zoo: ModelZoo, name: String, pair: PairReference? = nil) throws -> Opened {
        let entry = try zoo.catalog.searchIndex(named: name)
        if let pair {
            let projector = try zoo.catalog.projectorEntry(for: pair)
            guard projector.record.checkpointDigest == entry.record.projectorDigest else {
                throw ZooError(.data, "index '\(entry.record.name)' was built with \(entry.pair) (projector checkpoint \(entry.record.projectorDigest.prefix(12))), not with \(projector.reference) (checkpoint \(projector.record.checkpointDigest.prefix(12))); search with that pair or rebuild the index")
            }
        }
        let folder = zoo.store.folder(for: entry.record.checkpointDigest)
        let vectors = try VectorIndex(url: folder.appendingPathComponent(vectorsFile))
        let idsURL = folder.appendingPathComponent(idsFile)
        let ids: [String]
        do { ids = try JSONDecoder().decode([String].self, from: Data(contentsOf: idsURL)) } catch {
            throw ZooError(.data, "'\(idsURL.path)' is not a JSON list of ids (\(error)); run 'zoo verify' and rebuild the index")
        }
        guard ids.count == vectors.count, vectors.count == entry.record.count, vectors.width == entry.record.width else {
            throw ZooError(.data, "index '\(entry.record.name)' has \(ids.count) ids and \(vectors.count)×\(vectors.width) vectors; the catalog says \(entry.record.count)×\(entry.record.width); run 'zoo verify' and rebuild the index")
        }
        return Opened(summary: Summary(entry), vectors: vectors, ids: ids)
    }

    /// A search query.
    public enum Query: Sendable {
        case text(String)
        case image(URL)
    }

    /// What `zoo search` prints.
    public struct SearchOutcome: Sendable, Encodable {
        public var index: String
        public var pair: String
        public var query: String
        public var hits: [Hit]
        public var seconds: Double
    }

    /// Embeds `query` with the index's pair and returns its best `k` hits.
    public static func search(
        zoo: ModelZoo, index name: String, query: Query, k: Int = 10, pair: PairReference? = nil
    ) throws -> SearchOutcome {
        guard k >= 1 else { throw ZooError(.usage, "--k must be at least 1") }
        let opened = try open(zoo: zoo, name: name, pair: pair)
        let aligned = try AlignedPair.load(zoo: zoo, pair: try PairReference(parsing: opened.summary.pair))
        let started = Date()
        let embedded: EmbeddingMatrix
        let queryText: String
        switch query {
        case .text(let text):
            embedded = try aligned.embed(texts: [text])
            queryText = text
        case .image(let url):
            embedded = try aligned.embed(imagesAt: [url])
            queryText = url.path
        }
        let hits = try opened.search(embedded, k: k)[0]
        return SearchOutcome(
            index: opened.summary.name, pair: opened.summary.pair, query: queryText, hits: hits,
            seconds: Date().timeIntervalSince(started))
    }
}
