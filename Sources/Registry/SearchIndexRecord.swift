import Foundation
import GRDB

/// One row of `search_index`: a trained pair's projected, normalised image embeddings, stored as
/// a checkpoint (`vectors.safetensors`, `ids.json`, `config.json`) for `zoo search`.
public struct SearchIndexRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "search_index"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    /// The index's name, unique (case-insensitive).
    public var name: String
    /// The projector whose space the vectors are in.
    public var projectorId: Int64
    /// The checkpoint digest of that projector when the index was built.
    public var projectorDigest: String
    /// The dataset the images came from, when they came from one.
    public var datasetId: Int64?
    /// Where the images came from: `dataset NAME` or the folders and files given.
    public var source: String
    /// Number of vectors.
    public var count: Int
    /// Width of each vector.
    public var width: Int
    /// `f16` or `f32`.
    public var dtype: String
    /// The stored index files.
    public var checkpointDigest: String
    public var createdAt: Date

    /// Gathers the fields of an index row (`checkpointDigest` is set when it is stored).
    public init(
        id: Int64? = nil, name: String, projectorId: Int64, projectorDigest: String, datasetId: Int64?, source: String,
        count: Int, width: Int, dtype: String, checkpointDigest: String = "", createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.projectorId = projectorId
        self.projectorDigest = projectorDigest
        self.datasetId = datasetId
        self.source = source
        self.count = count
        self.width = width
        self.dtype = dtype
        self.checkpointDigest = checkpointDigest
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An index row with the names it refers to.
public struct SearchIndexEntry: Sendable, Equatable {
    /// The row.
    public var record: SearchIndexRecord
    /// The pair as `VISION+TEXT@TAG`.
    public var pair: String
    /// The dataset's name, when the images came from one.
    public var dataset: String?
}
