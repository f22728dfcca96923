import Foundation
import GRDB

/// One row of `cka_run`: the CKA of one vision×text pair of feature sets.
///
/// Encoders over a dataset fill the encoder and dataset ids; two feature files (`zoo cka
/// --features`) fill the two paths instead, and leave the ids null.
public struct CKARunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "cka_run"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var visionEncoderId: Int64?
    public var textEncoderId: Int64?
    /// The first feature file, when the features came from files.
    public var visionFeatures: String?
    /// The second feature file, when the features came from files.
    public var textFeatures: String?
    public var datasetId: Int64?
    /// `linear` or `rbf`.
    public var kernel: String
    public var samples: Int
    /// The CKA.
    public var score: Double
    /// σ of the vision features' RBF kernel (null for linear).
    public var bandwidthVision: Double?
    /// σ of the text features' RBF kernel (null for linear).
    public var bandwidthText: Double?
    public var zooVersion: String
    public var createdAt: Date

    /// Gathers the fields of a CKA row.
    public init(
        id: Int64? = nil, visionEncoderId: Int64? = nil, textEncoderId: Int64? = nil, visionFeatures: String? = nil,
        textFeatures: String? = nil, datasetId: Int64? = nil, kernel: String, samples: Int, score: Double,
        bandwidthVision: Double? = nil, bandwidthText: Double? = nil, zooVersion: String, createdAt: Date
    ) {
        self.id = id
        self.visionEncoderId = visionEncoderId
        self.textEncoderId = textEncoderId
        self.visionFeatures = visionFeatures
        self.textFeatures = textFeatures
        self.datasetId = datasetId
        self.kernel = kernel
        self.samples = samples
        self.score = score
        self.bandwidthVision = bandwidthVision
        self.bandwidthText = bandwidthText
        self.zooVersion = zooVersion
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
