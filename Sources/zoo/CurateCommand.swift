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
        let started = Date()
        let conceptList: ConceptList
        do { conceptList = try ConceptList.read(path: Paths.absolute(concepts)) } catch { throw ZooError.curation(error) }
        let manifest = URL(fileURLWithPath: Paths.absolute(output))
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: manifest.deletingLastPathComponent().path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ZooError(.noInput, "the folder of --output '\(manifest.path)' does not exist; create it first")
        }
        let zoo = try global.openZoo()
        let record = try zoo.catalog.dataset(named: pool)
        guard record.format == DatasetFormat.jsonl.rawValue || record.format == DatasetFormat.wds.rawValue else {
            throw ZooError(.usage, "pool '\(record.name)' is a \(record.format) dataset; curation streams the captions of a jsonl or wds dataset")
        }
        let entry = try zoo.catalog.encoder(named: encoder)
        guard entry.record.modality == .text else {
            throw ZooError(.usage, "'\(entry.name)' is a \(entry.record.modality.rawValue) encoder; --encoder needs a text encoder")
        }
        let settings = Embedding.Settings(tokens: false, dtype: .f32, batch: batch, progress: ProgressBar.factory)
        let captions = CaptionEmbedder(zoo: zoo, entry: entry, batch: batch)
        let prototypes = try prototypes(conceptList, zoo: zoo, entry: entry, settings: settings, embedder: captions)
        let reader = try DatasetOpening.reader(record)

        // Pass 1: stream the captions, keep the best --top items per concept.
        var selector = ConceptSelector(prototypes: prototypes, keep: top)
        var uncaptioned = 0
        let bar = ProgressBar("curate \(record.name)", total: record.itemCount, unit: "items")
        let chunkRows = batch * 8
        var texts: [String] = []
        var items: [ConceptSelector.Item] = []
        func score() throws {
            guard !items.isEmpty else { return }
            let embeddings = try captions.embed(texts).normalized()
            try selector.add(embeddings, items: items)
            texts.removeAll(keepingCapacity: true)
            items.removeAll(keepingCapacity: true)
            bar.update(done: selector.itemsScored + uncaptioned, seconds: Date().timeIntervalSince(started))
        }
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
        guard selector.itemsScored > 0 else {
            throw ZooError(.data, "pool '\(record.name)' has no captions to score (\(uncaptioned) items without one)")
        }
        let assignment = ConceptAssignment(candidates: selector.allCandidates(), keep: top, perConcept: perConcept)

        // Pass 2: write the selected items in pool order.
        let written = try writeManifest(assignment, concepts: conceptList, reader: reader, to: manifest)
        let seconds = Date().timeIntervalSince(started)
        bar.finish(String(
            format: "scored %d items of '%@' against %d concepts in %.1f s (%d captions encoded, %d from the cache)",
            selector.itemsScored, record.name, conceptList.concepts.count, seconds, captions.encoded, captions.cached))
        report(assignment, concepts: conceptList, pool: record.name, entry: entry, manifest: manifest, scored: selector.itemsScored,
               uncaptioned: uncaptioned, written: written, seconds: seconds)
    }

    /// One prototype per concept: the mean of its texts' normalised embeddings, normalised.
    private func prototypes(
        _ list: ConceptList, zoo: ModelZoo, entry: EncoderEntry, settings: Embedding.Settings, embedder: CaptionEmbedder
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
    private func forEachItem(_ reader: any DatasetReader, _ body: (DatasetItem) throws -> Void) throws {
        let iterator: any DatasetIterator
        do { iterator = try reader.makeIterator() } catch { throw ZooError.dataset(error) }
        while true {
            let item: DatasetItem?
            do { item = try iterator.next() } catch { throw ZooError.dataset(error) }
            guard let item else { return }
            try body(item)
        }
    }

    /// Streams the pool again and writes one line per selected item, atomically; returns the count.
    private func writeManifest(_ assignment: ConceptAssignment, concepts: ConceptList, reader: any DatasetReader, to url: URL) throws -> Int {
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
                let line: [String: Any] = [
                    "id": item.id, "image": Self.imageName(item), "caption": item.captions[selection.candidate.caption],
                    "concept": concepts.concepts[selection.concept].name,
                    "score": (Double(selection.candidate.score) * 1e6).rounded() / 1e6,
                ]
                try file.append(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]))
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
    static func imageName(_ item: DatasetItem) -> String {
        switch item.image {
        case .file(let url): return url.path
        case .encoded(_, let name): return name
        case .decoded: return item.id
        }
    }

    private func report(
        _ assignment: ConceptAssignment, concepts: ConceptList, pool: String, entry: EncoderEntry, manifest: URL,
        scored: Int, uncaptioned: Int, written: Int, seconds: Double
    ) {
        let rows = assignment.order.enumerated().map { position, concept in (position + 1, assignment.summaries[concept]) }
        if outputOptions.json {
            let object: [String: Any] = [
                "pool": pool, "encoder": entry.name, "manifest": manifest.path, "items": scored, "uncaptioned": uncaptioned,
                "selected": written, "per_concept": perConcept, "top": top, "seconds": seconds,
                "concepts": rows.map { order, summary -> [String: Any] in
                    [
                        "concept": concepts.concepts[summary.concept].name, "order": order, "candidates": summary.candidates,
                        "threshold": summary.threshold.map { (Double($0) * 1e6).rounded() / 1e6 } ?? NSNull(), "taken": summary.taken,
                    ]
                },
            ]
            try? Output.json(object)
            return
        }
        print("selected \(written) of \(scored) items of '\(pool)' for \(concepts.concepts.count) concepts (top \(top), up to \(perConcept) each) into \(manifest.path)")
        Output.table(
            ["ORDER", "CONCEPT", "CANDIDATES", "M-TH SCORE", "TAKEN"],
            rows.map { order, summary in
                [String(order), concepts.concepts[summary.concept].name, String(summary.candidates),
                 summary.threshold.map { String(format: "%.4f", $0) } ?? "-", String(summary.taken)]
            })
        if rows.contains(where: { $0.1.threshold == nil }) {
            print("(-: fewer than \(top) candidates; such concepts are visited first)")
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

extension ZooError {
    /// The CLI's view of a curation failure.
    static func curation(_ error: CurationError) -> ZooError {
        ZooError(error.kind == .noInput ? .noInput : .data, error.message)
    }
}
