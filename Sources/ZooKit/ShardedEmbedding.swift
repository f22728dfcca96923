import Foundation
import Registry
import Runtime

/// Embedding on a cluster: array tasks that each fill one shard of an image cache and mark it
/// done, `zoo cache status` that checks the markers, and `zoo cache merge` that compacts the
/// checked shards and records the cache in the catalog.
///
/// A task reads the catalog but never writes it (it opens it read-only). It writes only its
/// own segment files (`seg-sKofN-…`, each atomically) and, last, its marker
/// `done-sKofN.json`; killed at any moment, it leaves complete segments that a rerun of the same
/// shard reuses, and no marker. Nothing in the cache folder needs file locks, so it may live on
/// NFS.
public enum ShardedEmbedding {
    /// What one shard task did.
    public struct TaskOutcome: Sendable {
        /// The encoder's name.
        public var encoder: String
        /// The dataset's name.
        public var dataset: String
        /// The shard.
        public var shard: ShardSelection
        /// The cache folder.
        public var folder: URL
        /// The marker file.
        public var marker: URL
        /// Items of the shard in the cache.
        public var items: Int
        /// Items encoded by this task.
        public var encoded: Int
        /// Items in the whole cache folder now (every shard's).
        public var cached: Int
        /// The cache's layout.
        public var layout: EmbeddingCacheLayout
        /// Whether a valid marker was found and nothing was done.
        public var alreadyDone: Bool
    }

    /// What a merge did.
    public struct MergeOutcome: Sendable {
        /// The checked report the merge started from.
        public var report: ShardReport
        /// Items in the merged cache.
        public var items: Int
        /// Segment files of the compacted cache.
        public var segments: Int
    }

    /// The cache an image encoder fills over a dataset, with the digests its shards must carry.
    struct Target {
        var entry: EncoderEntry
        var record: DatasetRecord
        var folder: URL
        var datasetDigest: String
        var datasetItems: Int
        var contents: DatasetContents?

        var encoderDigest: String { entry.checkpoint.digest }
    }

    /// Metadata keys of shard segments.
    static let encoderDigestKey = "encoder_digest"
    static let datasetDigestKey = "dataset_digest"

    // MARK: - Task

    /// Fills shard `settings.shard` of the image cache of `encoder` over `dataset` and writes its
    /// marker; with a valid marker already there, does nothing. Returns nil, doing nothing, for a
    /// text encoder (its shards fill the shared text cache as plain `zoo embed` runs).
    ///
    /// - Parameter zoo: The zoo home, opened read-only (``ModelZoo/init(readingOnly:)``).
    /// - Throws: `ZooError` 65 when the folder holds shards of another N, a marker of another
    ///   encoder checkpoint or dataset version, or a corrupt marker; the errors of `zoo embed`
    ///   otherwise.
    public static func runTask(zoo: ModelZoo, encoder: String, dataset: String, settings: Embedding.Settings) throws -> TaskOutcome? {
        let entry = try zoo.catalog.encoder(named: encoder)
        guard entry.record.modality == .vision else { return nil }
        let record = try zoo.catalog.dataset(named: dataset)
        let reader = try DatasetOpening.reader(record)
        let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader, recording: false)
        let folder = EmbeddingCaches.imageFolder(home: zoo.home, encoder: entry, dataset: record, tokens: settings.tokens, dtype: settings.dtype)
        let target = Target(entry: entry, record: record, folder: folder, datasetDigest: Embedding.idsDigest(contents),
                            datasetItems: contents.ids.count, contents: contents)
        let shard = settings.shard
        _ = try shardCount(in: folder, expected: shard.count)
        let markerURL = folder.appendingPathComponent(CacheShardMarker.fileName(shard: shard.index, of: shard.count))
        if FileManager.default.fileExists(atPath: markerURL.path) {
            let marker = try CacheShardMarker.read(markerURL)
            if let problem = foreignProblem(marker, target: target, file: markerURL.lastPathComponent) {
                throw ZooError(.data, "\(folder.path): \(problem.detail)")
            }
            if let problem = try corruptProblem(marker, folder: folder, file: markerURL.lastPathComponent) {
                throw ZooError(.data, "\(folder.path): \(problem.detail)")
            }
            let cache = try EmbeddingCache(folder: folder)
            return TaskOutcome(encoder: entry.name, dataset: record.name, shard: shard, folder: folder, marker: markerURL,
                               items: marker.items, encoded: 0, cached: cache.count, layout: cache.layout, alreadyDone: true)
        }
        var exact = settings
        exact.exactCache = true
        exact.strictDType = true
        exact.segmentMetadata = [encoderDigestKey: target.encoderDigest, datasetDigestKey: target.datasetDigest]
        let (cache, encoded, _) = try Embedding.images(zoo: zoo, encoder: entry, dataset: record, reader: reader, contents: contents, settings: exact)
        var perSegment: [Int: Int] = [:]
        var items = 0
        var wanted = 0
        for (position, id) in contents.ids.enumerated() where shard.contains(position) {
            wanted += 1
            if let location = cache.location(of: id) {
                perSegment[location.segment, default: 0] += 1
                items += 1
            }
        }
        var segments: [CacheShardMarker.Segment] = []
        for (segment, count) in perSegment.sorted(by: { $0.key < $1.key }) {
            let name = cache.segmentNames[segment]
            let (digest, bytes) = try ContentHash.sha256(fileAt: folder.appendingPathComponent(name).path)
            segments.append(.init(name: name, bytes: bytes, sha256: digest, items: count))
        }
        let marker = CacheShardMarker(
            shard: shard.index, shards: shard.count, items: items, failed: wanted - items, encoderDigest: target.encoderDigest,
            datasetDigest: target.datasetDigest, zooVersion: ZooVersion.current, layout: cache.layout, segments: segments)
        try marker.write(to: markerURL)
        return TaskOutcome(encoder: entry.name, dataset: record.name, shard: shard, folder: folder, marker: markerURL,
                           items: items, encoded: encoded, cached: cache.count, layout: cache.layout, alreadyDone: false)
    }

    // MARK: - Status

    /// Checks every shard of the image cache of `encoder` over `dataset`: markers, their
    /// segments' sizes and SHA-256, and the digests segments and markers were computed with.
    ///
    /// The dataset's item count and digest come from the catalog when it has them (`--emit`
    /// records them), else from reading the dataset; nothing is written.
    ///
    /// - Parameter shards: N; nil takes it from the markers and segments in the folder.
    /// - Throws: `ZooError` 64 when N is neither given nor found, 65 when the folder mixes
    ///   shards of different N or a marker is unreadable.
    public static func status(
        zoo: ModelZoo, encoder: String, dataset: String, tokens: Bool, dtype: EmbeddingDType, shards: Int?
    ) throws -> ShardReport {
        try status(target(zoo: zoo, encoder: encoder, dataset: dataset, tokens: tokens, dtype: dtype, readDataset: false), shards: shards)
    }

    static func target(zoo: ModelZoo, encoder: String, dataset: String, tokens: Bool, dtype: EmbeddingDType, readDataset: Bool) throws -> Target {
        let entry = try zoo.catalog.encoder(named: encoder)
        guard entry.record.modality == .vision else {
            throw ZooError(.usage, "'\(entry.name)' is a text encoder; sharded caches are image caches (name a vision encoder)")
        }
        let record = try zoo.catalog.dataset(named: dataset)
        let folder = EmbeddingCaches.imageFolder(home: zoo.home, encoder: entry, dataset: record, tokens: tokens, dtype: dtype)
        if !readDataset, let digest = record.idsDigest, let count = record.itemCount {
            return Target(entry: entry, record: record, folder: folder, datasetDigest: digest, datasetItems: count, contents: nil)
        }
        let reader = try DatasetOpening.reader(record)
        let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader, recording: false)
        return Target(entry: entry, record: record, folder: folder, datasetDigest: Embedding.idsDigest(contents),
                      datasetItems: contents.ids.count, contents: contents)
    }

    static func status(_ target: Target, shards requested: Int?) throws -> ShardReport {
        let folder = target.folder
        var report = ShardReport(
            encoder: target.entry.name, dataset: target.record.name, folder: folder, shards: 0, datasetItems: target.datasetItems,
            done: [], missing: [], corrupt: [], foreign: [], itemsMissing: 0, itemsDone: 0, merged: false)
        let found = try shardCount(in: folder, expected: requested)
        let mergedURL = folder.appendingPathComponent(CacheShardMarker.mergedName)
        var merged: CacheShardMarker?
        if FileManager.default.fileExists(atPath: mergedURL.path) {
            let marker = try CacheShardMarker.read(mergedURL)
            if let requested, requested != marker.shards {
                throw ZooError(.data, "\(folder.path): --shards \(requested) was given but the cache was merged from \(marker.shards) shards (\(CacheShardMarker.mergedName)); pass --shards \(marker.shards)")
            }
            merged = marker
        }
        guard let count = requested ?? found ?? merged?.shards else {
            throw ZooError(.usage, "no shard markers or segments in '\(folder.path)' tell the number of shards; pass --shards N")
        }
        report.shards = count
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        // Segments written with other digests, whoever vouches for them.
        for name in names.sorted() where ShardLabel.segmentLabel(name) != nil {
            let url = folder.appendingPathComponent(name)
            guard let file = try? SafeTensorsFile(url: url) else {
                report.corrupt.append(.init(shard: ShardLabel.segmentLabel(name).flatMap(ShardLabel.parse)?.index, file: name,
                                            detail: "segment '\(name)' is unreadable; delete it and run its shard again"))
                continue
            }
            if let problem = foreignProblem(encoderDigest: file.metadata[encoderDigestKey], datasetDigest: file.metadata[datasetDigestKey],
                                            target: target, file: name, shard: ShardLabel.segmentLabel(name).flatMap(ShardLabel.parse)?.index) {
                report.foreign.append(problem)
            }
        }
        if let merged {
            if let problem = foreignProblem(merged, target: target, file: CacheShardMarker.mergedName) {
                report.foreign.append(problem)
            } else if let problem = try corruptProblem(merged, folder: folder, file: CacheShardMarker.mergedName) {
                report.corrupt.append(problem)
            } else {
                report.merged = true
            }
        }
        for index in 0..<count {
            let expected = ShardReport.items(inShard: index, of: count, total: target.datasetItems)
            if report.merged {
                report.done.append(index)
                continue
            }
            let name = CacheShardMarker.fileName(shard: index, of: count)
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                report.missing.append(index)
                report.itemsMissing += expected
                continue
            }
            let marker = try CacheShardMarker.read(url)
            if let problem = foreignProblem(marker, target: target, file: name) {
                report.foreign.append(problem)
                report.itemsMissing += expected
            } else if let problem = try corruptProblem(marker, folder: folder, file: name) {
                report.corrupt.append(problem)
                report.itemsMissing += expected
            } else {
                report.done.append(index)
                report.itemsDone += marker.items
            }
        }
        if report.merged { report.itemsDone = merged?.items ?? 0 }
        return report
    }

    // MARK: - Merge

    /// Checks every shard (as ``status(zoo:encoder:dataset:tokens:dtype:shards:)``, reading the
    /// dataset), compacts the cache into `seg-merged-…` segments in dataset order, writes
    /// `merged.json`, removes the shard segments and markers, and records the cache in the catalog.
    ///
    /// - Throws: `ZooError` 65 listing the missing shards (as an `--array` list), corrupt and
    ///   foreign files; nothing is changed then.
    public static func merge(
        zoo: ModelZoo, encoder: String, dataset: String, tokens: Bool, dtype: EmbeddingDType, shards: Int?
    ) throws -> MergeOutcome {
        let target = try target(zoo: zoo, encoder: encoder, dataset: dataset, tokens: tokens, dtype: dtype, readDataset: true)
        let report = try status(target, shards: shards)
        guard report.complete else {
            var parts: [String] = []
            if !report.missing.isEmpty {
                parts.append("shards \(ShardReport.arrayList(report.missing)) of \(report.shards) are not done (\(report.itemsMissing) items)")
            }
            parts += report.corrupt.map(\.detail) + report.foreign.map(\.detail)
            throw ZooError(.data, "cannot merge '\(report.folder.path)': \(parts.joined(separator: "; ")); run those shards again (--array=\(ShardReport.arrayList(report.resubmit))) and merge again")
        }
        let folder = target.folder
        let mergedURL = folder.appendingPathComponent(CacheShardMarker.mergedName)
        var marker: CacheShardMarker
        if report.merged {
            marker = try CacheShardMarker.read(mergedURL)
        } else {
            marker = try compact(target, report: report)
            try marker.write(to: mergedURL)
        }
        try removeLeftovers(folder: folder, keeping: Set(marker.segments.map(\.name)))
        try zoo.catalog.recordEmbeddingCache(EmbeddingCacheRecord(
            folder: folder.path, encoderId: target.entry.record.id!, datasetId: target.record.id!, encoderDigest: target.encoderDigest,
            idsDigest: target.datasetDigest, itemCount: marker.items, shards: report.shards, tokens: marker.layout.tokens,
            dtype: marker.layout.dtype.rawValue, mergedAt: Date()), datasetItems: target.datasetItems)
        return MergeOutcome(report: report, items: marker.items, segments: marker.segments.count)
    }

    /// Writes every cached item of the dataset, in dataset order, into new `merged` segments.
    private static func compact(_ target: Target, report: ShardReport) throws -> CacheShardMarker {
        let cache = try EmbeddingCache(folder: target.folder)
        let layout = cache.layout
        let writer = try EmbeddingCacheWriter(
            folder: target.folder, layout: layout, label: "merged",
            segmentMetadata: [encoderDigestKey: target.encoderDigest, datasetDigestKey: target.datasetDigest])
        let before = Set(cache.segmentNames)
        var pooled = [Float](repeating: 0, count: layout.pooledWidth)
        var tokens: [Float] = []
        var items = 0
        for id in target.contents?.ids ?? [] {
            guard let location = cache.location(of: id) else { continue }
            pooled.withUnsafeMutableBufferPointer { cache.copyPooled(location, to: $0.baseAddress!) }
            if layout.tokens {
                tokens = [Float](repeating: 0, count: location.tokenCount * layout.tokenWidth)
                tokens.withUnsafeMutableBufferPointer { if $0.count > 0 { cache.copyTokens(location, to: $0.baseAddress!) } }
                try pooled.withUnsafeBufferPointer { p throws(EmbeddingCacheError) in
                    try tokens.withUnsafeBufferPointer { t throws(EmbeddingCacheError) in try writer.append(id: id, pooled: p, tokens: t) }
                }
            } else {
                try pooled.withUnsafeBufferPointer { p throws(EmbeddingCacheError) in try writer.append(id: id, pooled: p) }
            }
            items += 1
        }
        try writer.finish()
        guard items == report.itemsDone else {
            throw ZooError(.data, "cannot merge '\(target.folder.path)': the shard markers count \(report.itemsDone) items but the segments hold \(items) of the dataset's; run 'zoo cache status' and rerun the shards it names")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: target.folder.path)
            .filter { ShardLabel.segmentLabel($0) == "merged" && !before.contains($0) }.sorted()
        var segments: [CacheShardMarker.Segment] = []
        for name in names {
            let (digest, bytes) = try ContentHash.sha256(fileAt: target.folder.appendingPathComponent(name).path)
            let file = try SafeTensorsFile(url: target.folder.appendingPathComponent(name))
            let count = (try? JSONSerialization.jsonObject(with: Data((file.metadata["ids"] ?? "[]").utf8)) as? [String])?.count ?? 0
            segments.append(.init(name: name, bytes: bytes, sha256: digest, items: count))
        }
        return CacheShardMarker(
            shard: nil, shards: report.shards, items: items, failed: target.datasetItems - items, encoderDigest: target.encoderDigest,
            datasetDigest: target.datasetDigest, zooVersion: ZooVersion.current, layout: layout, segments: segments)
    }

    /// Removes shard markers, segments the merged marker does not list, and temporary files of
    /// interrupted writes.
    private static func removeLeftovers(folder: URL, keeping: Set<String>) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        for name in names {
            let stale = (ShardLabel.segmentLabel(name) != nil && !keeping.contains(name))
                || CacheShardMarker.shard(ofFileName: name) != nil
                || (name.hasPrefix(".seg-") && name.contains(".tmp-"))
            guard stale else { continue }
            do { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) } catch {
                throw ZooError(.io, "cannot remove '\(folder.appendingPathComponent(name).path)' after merging: \(error.localizedDescription); the merged cache is complete, remove it by hand")
            }
        }
    }

    // MARK: - Checks

    /// The one shard count the folder's markers and segments carry (nil when none do).
    ///
    /// - Throws: `ZooError` 65 naming a file of each when two counts are found, or one differs
    ///   from `expected`.
    static func shardCount(in folder: URL, expected: Int?) throws -> Int? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        var seen: [Int: String] = [:]
        for name in names {
            let shard = CacheShardMarker.shard(ofFileName: name) ?? ShardLabel.segmentLabel(name).flatMap(ShardLabel.parse)
            if let shard, seen[shard.count] == nil { seen[shard.count] = name }
        }
        if let expected, let (other, file) = seen.first(where: { $0.key != expected }) {
            throw ZooError(.data, "'\(folder.path)' holds shards of N=\(other) ('\(file)'), not of N=\(expected) as requested; shards of different N cannot be mixed: keep N=\(other) (--shard K/\(other), --shards \(other)) or remove that set of files (and its done-s*of\(other).json markers)")
        }
        if seen.count > 1 {
            let counts = seen.sorted { $0.key < $1.key }
            throw ZooError(.data, "'\(folder.path)' mixes shards of N=\(counts[0].key) ('\(counts[0].value)') and N=\(counts[1].key) ('\(counts[1].value)'); keep one set and remove the other's segments and markers")
        }
        return seen.keys.first
    }

    static func foreignProblem(_ marker: CacheShardMarker, target: Target, file: String) -> ShardReport.Problem? {
        foreignProblem(encoderDigest: marker.encoderDigest, datasetDigest: marker.datasetDigest, target: target, file: file, shard: marker.shard)
    }

    static func foreignProblem(encoderDigest: String?, datasetDigest: String?, target: Target, file: String, shard: Int?) -> ShardReport.Problem? {
        if let encoderDigest, encoderDigest != target.encoderDigest {
            return .init(shard: shard, file: file, detail: "'\(file)' was computed with another checkpoint of '\(target.entry.name)' (\(encoderDigest.prefix(12)), now \(target.encoderDigest.prefix(12))); delete it and run its shard again")
        }
        if let datasetDigest, datasetDigest != target.datasetDigest {
            return .init(shard: shard, file: file, detail: "'\(file)' was computed from another version of dataset '\(target.record.name)' (ids digest \(datasetDigest.prefix(12)), now \(target.datasetDigest.prefix(12))); delete it and run its shard again")
        }
        return nil
    }

    /// A problem when one of `marker`'s segments is missing or its size or SHA-256 differs.
    static func corruptProblem(_ marker: CacheShardMarker, folder: URL, file: String) throws -> ShardReport.Problem? {
        for segment in marker.segments {
            let path = folder.appendingPathComponent(segment.name).path
            let advice = "delete '\(segment.name)' and '\(file)' and run shard \(marker.shard.map(String.init) ?? "all") again"
            guard FileManager.default.fileExists(atPath: path) else {
                return .init(shard: marker.shard, file: segment.name, detail: "segment '\(segment.name)' of '\(file)' is missing; \(advice)")
            }
            let (digest, bytes) = try ContentHash.sha256(fileAt: path)
            guard bytes == segment.bytes, digest == segment.sha256 else {
                return .init(shard: marker.shard, file: segment.name, detail: "segment '\(segment.name)' does not match '\(file)' (\(bytes) bytes, SHA-256 \(digest.prefix(12)); the marker says \(segment.bytes) bytes, \(segment.sha256.prefix(12))): it is corrupt; \(advice)")
            }
        }
        return nil
    }
}
