import Foundation

/// The last file a shard task writes into an embedding cache folder (`done-sKofN.json`), or
/// that `zoo cache merge` writes once it has compacted every shard (`merged.json`): which
/// segment files hold the shard's items, each with its size and SHA-256, and what the
/// embeddings were computed from (encoder checkpoint digest, dataset id digest, zoo version).
///
/// A shard without a marker is not done, whatever segments it left; a marker whose segments'
/// bytes no longer match is corrupt. Markers are plain files written atomically (temporary
/// file, then rename), so the folder may live on a shared file system such as NFS.
public struct CacheShardMarker: Codable, Sendable, Equatable {
    /// One segment file a marker vouches for.
    public struct Segment: Codable, Sendable, Equatable {
        /// The file name in the cache folder.
        public var name: String
        /// Its size in bytes.
        public var bytes: Int64
        /// Its SHA-256, lower-case hex.
        public var sha256: String
        /// The items it holds.
        public var items: Int

        /// Describes a segment file.
        public init(name: String, bytes: Int64, sha256: String, items: Int) {
            self.name = name
            self.bytes = bytes
            self.sha256 = sha256
            self.items = items
        }
    }

    /// The shard index K, or nil for the marker of a merged cache.
    public var shard: Int?
    /// The shard count N.
    public var shards: Int
    /// Items of the shard in the cache.
    public var items: Int
    /// Items of the shard skipped as unreadable (`--skip-bad`).
    public var failed: Int
    /// The encoder's checkpoint digest.
    public var encoderDigest: String
    /// The SHA-256 of the dataset's item ids, one per line.
    public var datasetDigest: String
    /// The zoo version that wrote it.
    public var zooVersion: String
    /// The cache layout.
    public var layout: EmbeddingCacheLayout
    /// The segment files that hold the items.
    public var segments: [Segment]
    /// When it was written (ISO 8601).
    public var finishedAt: String

    /// Gathers a marker's fields.
    public init(
        shard: Int?, shards: Int, items: Int, failed: Int, encoderDigest: String, datasetDigest: String,
        zooVersion: String, layout: EmbeddingCacheLayout, segments: [Segment], finishedAt: Date = Date()
    ) {
        self.shard = shard
        self.shards = shards
        self.items = items
        self.failed = failed
        self.encoderDigest = encoderDigest
        self.datasetDigest = datasetDigest
        self.zooVersion = zooVersion
        self.layout = layout
        self.segments = segments
        self.finishedAt = ISO8601DateFormatter().string(from: finishedAt)
    }

    enum CodingKeys: String, CodingKey {
        case shard, shards, items, failed, layout, segments
        case encoderDigest = "encoder_digest"
        case datasetDigest = "dataset_digest"
        case zooVersion = "zoo_version"
        case finishedAt = "finished_at"
    }

    /// The marker file name of shard `index` of `count`.
    public static func fileName(shard index: Int, of count: Int) -> String { "done-s\(index)of\(count).json" }

    /// The marker file name of a merged cache.
    public static let mergedName = "merged.json"

    /// The shard `(index, count)` a marker file name stands for, or nil when it is none.
    public static func shard(ofFileName name: String) -> (index: Int, count: Int)? {
        guard name.hasPrefix("done-"), name.hasSuffix(".json") else { return nil }
        return ShardLabel.parse(String(name.dropFirst(5).dropLast(5)))
    }

    /// Reads the marker at `url`.
    ///
    /// - Throws: ``EmbeddingCacheError`` (65) naming the file when it is not a marker.
    public static func read(_ url: URL) throws(EmbeddingCacheError) -> CacheShardMarker {
        do {
            return try JSONDecoder().decode(CacheShardMarker.self, from: Data(contentsOf: url))
        } catch {
            throw EmbeddingCacheError(.data, "'\(url.path)' is not a valid shard marker (\(error)); delete it and run that shard again")
        }
    }

    /// Writes the marker to `url` atomically (a reader sees the whole file or none).
    public func write(to url: URL) throws(EmbeddingCacheError) {
        let data: Data
        do { data = try JSONEncoder.sortedKeys.encode(self) } catch {
            throw EmbeddingCacheError(.io, "cannot encode the shard marker: \(error)")
        }
        do { try DurableFile.write(data, to: url) } catch {
            throw EmbeddingCacheError(.io, "cannot write the shard marker '\(url.path)': \(error.description); check the cache folder's free space and permissions")
        }
    }
}
