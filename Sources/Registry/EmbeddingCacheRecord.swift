import Foundation
import GRDB

/// One row of `embedding_cache`: an embedding cache folder that `zoo cache merge` checked
/// (every shard's marker and segment bytes) and compacted, with what it was computed from.
public struct EmbeddingCacheRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "embedding_cache"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    /// The cache folder's absolute path.
    public var folder: String
    /// The encoder whose outputs it holds.
    public var encoderId: Int64
    /// The dataset whose items it holds.
    public var datasetId: Int64
    /// The encoder's checkpoint digest the embeddings were computed with.
    public var encoderDigest: String
    /// The digest of the dataset's item ids the shards were cut from.
    public var idsDigest: String
    /// Items in the cache.
    public var itemCount: Int
    /// How many shards computed it.
    public var shards: Int
    /// Whether token states are kept.
    public var tokens: Bool
    /// `f16` or `f32`.
    public var dtype: String
    public var mergedAt: Date

    /// Gathers the fields of a cache row.
    public init(
        id: Int64? = nil, folder: String, encoderId: Int64, datasetId: Int64, encoderDigest: String, idsDigest: String,
        itemCount: Int, shards: Int, tokens: Bool, dtype: String, mergedAt: Date
    ) {
        self.id = id
        self.folder = folder
        self.encoderId = encoderId
        self.datasetId = datasetId
        self.encoderDigest = encoderDigest
        self.idsDigest = idsDigest
        self.itemCount = itemCount
        self.shards = shards
        self.tokens = tokens
        self.dtype = dtype
        self.mergedAt = mergedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
