import Foundation
import Registry
import Runtime

/// `zoo curate`'s use-case: concept-coverage curation of a caption pool (the paper's section 2)
/// in a text encoder's embedding space, written as a JSON Lines manifest.
///
/// Each concept's prototype is the mean of its examples' normalised text embeddings (or the
/// embedding of its name in the template). Pass 1 streams the pool's captions, embeds them in
/// batches and keeps the best `top` items per concept; concepts are then visited rarest first
/// and each takes up to `perConcept` of its best items not already taken. Pass 2 streams the
/// pool again and writes the selected items in pool order, durably.
public enum PoolCuration {
    /// What to curate.
    public struct Request: Sendable {
        /// The pool: a registered jsonl or wds dataset with captions.
        public var pool: String
        /// The concepts file.
        public var concepts: URL
        /// Items each concept takes at most.
        public var perConcept: Int
        /// Candidates kept per concept while streaming.
        public var top = 50_000
        /// The text encoder that embeds captions and concepts.
        public var encoder: String
        /// The manifest to write.
        public var output: URL
        /// The prototype text of a concept without examples; `{c}` is its name.
        public var template = LabelCaptioner.defaultTemplate
        /// Captions per encoder batch.
        public var batch = 64

        /// A request to curate `pool` for the concepts in `concepts` into `output`.
        public init(pool: String, concepts: URL, perConcept: Int, encoder: String, output: URL) {
            self.pool = pool
            self.concepts = concepts
            self.perConcept = perConcept
            self.encoder = encoder
            self.output = output
        }
    }

    /// One concept's line of the outcome.
    public struct ConceptOutcome: Encodable, Sendable, Equatable {
        /// The concept's name.
        public var concept: String
        /// Its place in the rarest-first order, from 1.
        public var order: Int
        /// Candidates it kept while streaming.
        public var candidates: Int
        /// Its `top`-th best score (rounded to 1e-6); nil when it kept fewer candidates.
        public var threshold: Double?
        /// Items it took.
        public var taken: Int

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(concept, forKey: .concept)
            try container.encode(order, forKey: .order)
            try container.encode(candidates, forKey: .candidates)
            try container.encode(threshold, forKey: .threshold)  // null when absent, as documented
            try container.encode(taken, forKey: .taken)
        }

        enum CodingKeys: String, CodingKey { case concept, order, candidates, threshold, taken }
    }

    /// What a curation did (`zoo curate --json`).
    public struct Outcome: Encodable, Sendable {
        /// The pool's name.
        public var pool: String
        /// The encoder's name.
        public var encoder: String
        /// The manifest written.
        public var manifest: String
        /// Items scored.
        public var items: Int
        /// Items without a caption.
        public var uncaptioned: Int
        /// Items written.
        public var selected: Int
        /// The per-concept cap.
        public var perConcept: Int
        /// Candidates kept per concept.
        public var top: Int
        /// Wall time.
        public var seconds: Double
        /// Concepts in rarest-first order.
        public var concepts: [ConceptOutcome]

        enum CodingKeys: String, CodingKey {
            case pool, encoder, manifest, items, uncaptioned, selected, top, seconds, concepts
            case perConcept = "per_concept"
        }
    }

    /// One line of the manifest.
    private struct ManifestLine: Encodable {
        var id: String
        var image: String
        var caption: String
        var concept: String
        var score: Double
    }

    private static var lineEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Curates as `request` says and writes the manifest.
    ///
    /// - Throws: ``ZooError`` (a pool or encoder of the wrong kind: 64; nothing to score or a
    ///   pool that changed between the passes: 65; a missing output folder: 66), or the
    ///   ``CurationError`` naming the concepts file's line.
    public static func run(zoo: ModelZoo, request: Request, progress: @escaping ProgressFactory = Progress.silent) throws -> Outcome {
        let started = Date()
        let conceptList = try ConceptList.read(path: request.concepts.path)
        let manifest = request.output
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: manifest.deletingLastPathComponent().path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ZooError(.noInput, "the folder of --output '\(manifest.path)' does not exist; create it first")
        }
        let record = try zoo.catalog.dataset(named: request.pool)
        guard record.format == DatasetFormat.jsonl.rawValue || record.format == DatasetFormat.wds.rawValue else {
            throw ZooError(.usage, "pool '\(record.name)' is a \(record.format) dataset; curation streams the captions of a jsonl or wds dataset")
        }
        let entry = try zoo.catalog.encoder(named: request.encoder)
        guard entry.record.modality == .text else {
            throw ZooError(.usage, "'\(entry.name)' is a \(entry.record.modality.rawValue) encoder; --encoder needs a text encoder")
        }
        let settings = Embedding.Settings(tokens: false, dtype: .f32, batch: request.batch, progress: progress)
        let captions = CaptionEmbedder(zoo: zoo, entry: entry, batch: request.batch)
        let prototypes = try prototypes(conceptList, template: request.template, zoo: zoo, entry: entry, settings: settings, embedder: captions)
        let reader = try DatasetOpening.reader(record)

        // Pass 1: stream the captions, keep the best `top` items per concept.
        var selector = ConceptSelector(prototypes: prototypes, keep: request.top)
        var uncaptioned = 0
        let bar = progress("curate \(record.name)", record.itemCount, "items")
        let chunkRows = request.batch * 8
        var texts: [String] = []
        var items: [ConceptSelector.Item] = []
        func score() throws {
            guard !items.isEmpty else { return }
            let embeddings = try captions.embed(texts).normalized()
            try selector.add(embeddings, items: items)
            texts.removeAll(keepingCapacity: true)
            items.removeAll(keepingCapacity: true)
            bar.update(done: selector.itemsScored + uncaptioned, seconds: Date().timeIntervalSince(started), extra: "")
        }
        try ZooLog.timed("curate pass 1 (score '\(record.name)')") {
            try forEachItem(reader) { item in
                guard !item.captions.isEmpty else {
                    uncaptioned += 1
                    return
                }
                texts += item.captions
                items.append(ConceptSelector.Item(index: item.index, id: item.id, captions: item.captions.count))
                if texts.count >= chunkRows { try score() }
            }
            try score()
        }
        guard selector.itemsScored > 0 else {
            throw ZooError(.data, "pool '\(record.name)' has no captions to score (\(uncaptioned) items without one)")
        }
        let assignment = ConceptAssignment(candidates: selector.allCandidates(), keep: request.top, perConcept: request.perConcept)

        // Pass 2: write the selected items in pool order.
        let written = try ZooLog.timed("curate pass 2 (write \(manifest.lastPathComponent))") {
            try writeManifest(assignment, concepts: conceptList, reader: reader, to: manifest)
        }
        let seconds = Date().timeIntervalSince(started)
        bar.finish(String(
            format: "scored %d items of '%@' against %d concepts in %.1f s (%d captions encoded, %d from the cache)",
            selector.itemsScored, record.name, conceptList.concepts.count, seconds, captions.encoded, captions.cached))
        let rows = assignment.order.enumerated().map { position, concept -> ConceptOutcome in
            let summary = assignment.summaries[concept]
            return ConceptOutcome(
                concept: conceptList.concepts[summary.concept].name, order: position + 1, candidates: summary.candidates,
                threshold: summary.threshold.map { (Double($0) * 1e6).rounded() / 1e6 }, taken: summary.taken)
        }
        return Outcome(
            pool: record.name, encoder: entry.name, manifest: manifest.path, items: selector.itemsScored, uncaptioned: uncaptioned,
            selected: written, perConcept: request.perConcept, top: request.top, seconds: seconds, concepts: rows)
    }

    /// One prototype per concept: the mean of its texts' normalised embeddings, normalised.
    private static func prototypes(
        _ list: ConceptList, template: String, zoo: ModelZoo, entry: EncoderEntry, settings: Embedding.Settings, embedder: CaptionEmbedder
    ) throws -> EmbeddingMatrix {
        let groups = list.concepts.map { $0.prototypeTexts(template: template) }
        var unique: [String] = []
        var seen = Set<String>()
        for text in groups.joined() where seen.insert(text).inserted { unique.append(text) }
        let cache = try Embedding.texts(zoo: zoo, encoder: entry, texts: unique, settings: settings, label: "concepts").cache
        embedder.cache = cache
        let rows = try embedder.embed(Array(groups.joined()))
        embedder.resetCounts()
        return rows.groupMeans(counts: groups.map(\.count))
    }

    /// Calls `body` for every item of the pool, in order.
    private static func forEachItem(_ reader: any DatasetReader, _ body: (DatasetItem) throws -> Void) throws {
        let iterator: any DatasetIterator
        iterator = try reader.makeIterator()
        while true {
            let item: DatasetItem?
            item = try iterator.next()
            guard let item else { return }
            try body(item)
        }
    }

    /// Streams the pool again and writes one line per selected item, atomically; returns the count.
    private static func writeManifest(_ assignment: ConceptAssignment, concepts: ConceptList, reader: any DatasetReader, to url: URL) throws -> Int {
        var chosen: [Int: ConceptAssignment.Selection] = [:]
        chosen.reserveCapacity(assignment.selections.count)
        for selection in assignment.selections { chosen[selection.candidate.index] = selection }
        let file = try AtomicLines(url)
        var written = 0
        do {
            try forEachItem(reader) { item in
                guard let selection = chosen[item.index] else { return }
                guard item.id == selection.candidate.id, selection.candidate.caption < item.captions.count else {
                    throw ZooError(.data, "pool item \(item.index) is '\(item.id)' now but was '\(selection.candidate.id)' when it was scored; the pool changed during curation, run again")
                }
                let line = ManifestLine(
                    id: item.id, image: Self.imageName(item), caption: item.captions[selection.candidate.caption],
                    concept: concepts.concepts[selection.concept].name,
                    score: (Double(selection.candidate.score) * 1e6).rounded() / 1e6)
                try file.append(try Self.lineEncoder.encode(line))
                written += 1
            }
            guard written == chosen.count else {
                throw ZooError(.data, "the pool has fewer items than when it was scored (\(written) of \(chosen.count) selected items found); run again")
            }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
        return written
    }

    /// The manifest's `image`: the file's absolute path, or for a tar member `SHARD:KEY.EXT`.
    public static func imageName(_ item: DatasetItem) -> String {
        switch item.image {
        case .file(let url): return url.path
        case .encoded(_, let name): return name
        case .decoded: return item.id
        }
    }

}

/// Caption embeddings for curation: from the text cache when there (e.g. after 'zoo embed
/// TEXT POOL'), else encoded in batches by the encoder, loaded on first need; nothing is stored.
private final class CaptionEmbedder {
    let zoo: ModelZoo
    let entry: EncoderEntry
    let batch: Int
    var cache: EmbeddingCache?
    private var encoder: (any TextEncoder)?
    private(set) var encoded = 0
    private(set) var cached = 0

    init(zoo: ModelZoo, entry: EncoderEntry, batch: Int) {
        self.zoo = zoo
        self.entry = entry
        self.batch = batch
    }

    /// Forgets how many texts were encoded and read from the cache.
    func resetCounts() {
        encoded = 0
        cached = 0
    }

    /// The pooled embeddings of `texts`, `[texts.count, width]`, in order.
    func embed(_ texts: [String]) throws -> EmbeddingMatrix {
        var rows = [[Float]?](repeating: nil, count: texts.count)
        var width = cache?.layout.pooledWidth ?? 0
        var missing: [Int] = []
        for (position, text) in texts.enumerated() {
            if let cache, let location = cache.location(of: text) {
                var values = [Float](repeating: 0, count: cache.layout.pooledWidth)
                values.withUnsafeMutableBufferPointer { cache.copyPooled(location, to: $0.baseAddress!) }
                rows[position] = values
                cached += 1
            } else {
                missing.append(position)
            }
        }
        if !missing.isEmpty {
            let encoder = try loadedEncoder()
            let tokenized = missing.map { encoder.tokenize(texts[$0]) }
            // Similar lengths together: less padding.
            let order = missing.indices.sorted { (tokenized[$0].count, $0) < (tokenized[$1].count, $1) }
            // Batches of `batch`, up to 64 of them per call so their work overlaps on the threads.
            let group = batch * 64
            for first in stride(from: 0, to: order.count, by: group) {
                let chunk = Array(order[first..<min(first + group, order.count)])
                let pooled = try encoder.pooledEmbeddings(ids: chunk.map { tokenized[$0] }, batchSize: batch)
                width = pooled.dimension(1)
                let values = pooled.scalars
                for (row, slot) in chunk.enumerated() {
                    rows[missing[slot]] = Array(values[(row * width)..<((row + 1) * width)])
                }
                encoded += chunk.count
            }
        }
        var flat: [Float] = []
        flat.reserveCapacity(texts.count * width)
        for row in rows {
            guard let row, row.count == width else {
                throw ZooError(.data, "the text cache of '\(entry.name)' and the encoder disagree on the embedding width; remove the cache folder under cache/embeddings and run again")
            }
            flat += row
        }
        return EmbeddingMatrix(values: flat, rows: texts.count, width: width)
    }

    private func loadedEncoder() throws -> any TextEncoder {
        if let encoder { return encoder }
        let (_, loaded) = try EncoderLoading.textEncoder(entry.name, zoo: zoo)
        encoder = loaded
        return loaded
    }
}

/// A text file written line by line through a ``DurableFile``, in 1 MiB writes.
private final class AtomicLines {
    private let file: DurableFile
    private var buffer = Data()

    init(_ url: URL) throws {
        file = try DurableFile(creating: url)
    }

    /// Appends `line` and a newline.
    func append(_ line: Data) throws {
        buffer.append(line)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        try flush()
        try file.commit()
    }

    /// Removes the temporary file.
    func discard() {
        file.discard()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

