import Foundation
import GRDB

// Each record's camelCase properties are its table's snake_case columns (`totalBytes` is
// `total_bytes`) through GRDB's column coding strategies; every name converts both ways.

/// One row of `checkpoint`: a stored folder of files, named by its content digest.
public struct CheckpointRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "checkpoint"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// SHA-256 over the folder's file manifest (see `CheckpointDigest`), lower-case hex.
    public var digest: String
    /// Sum of the sizes of all files.
    public var totalBytes: Int64
    /// The files, as JSON `[{"path", "bytes", "sha256"}]`.
    public var files: String
    /// Layout of the folder, e.g. `hf` for a Hugging Face model folder.
    public var format: String
    /// When the checkpoint was first stored.
    public var createdAt: Date

    /// The decoded file list.
    public func fileList() throws -> [CheckpointFile] {
        try JSONDecoder().decode([CheckpointFile].self, from: Data(files.utf8))
    }
}

/// One file of a stored checkpoint.
public struct CheckpointFile: Codable, Sendable, Equatable {
    /// Path relative to the checkpoint folder, `/`-separated.
    public var path: String
    /// Size in bytes.
    public var bytes: Int64
    /// SHA-256 of the content, lower-case hex.
    public var sha256: String
}

/// One row of `encoder`: a registered vision or text encoder.
public struct EncoderRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "encoder"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    /// Unique name (unique across names and aliases).
    public var name: String
    public var modality: Modality
    /// The backend that runs it (`bert`, `roberta`, `dinov2`, or a plugin's id).
    public var backend: String
    /// The architecture configuration, JSON text (the folder's config.json).
    public var config: String
    /// Width of the pooled embedding, when known.
    public var pooledWidth: Int?
    /// Width of each token state, when known.
    public var tokenWidth: Int?
    /// Preprocessing settings, JSON text, when the folder has them.
    public var preprocessing: String?
    /// Where the weights came from (HF repo id, URL or path).
    public var source: String?
    public var license: String?
    public var checkpointDigest: String
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One row of `encoder_alias`: another name for an encoder.
public struct EncoderAliasRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "encoder_alias"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var alias: String
    public var encoderId: Int64
}

/// One row of `projector`: a trained projector pair for one vision and one text encoder.
public struct ProjectorRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "projector"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var visionEncoderId: Int64
    public var textEncoderId: Int64
    /// Projector architecture, JSON text.
    public var architecture: String
    public var checkpointDigest: String
    /// Training configuration, JSON text.
    public var trainingConfig: String
    /// A short description of the training data.
    public var dataSummary: String
    /// Version label, e.g. `v1`; unique per encoder pair.
    public var tag: String
    public var createdAt: Date
    /// The mean training loss of the last epoch, when the projector was trained here.
    public var finalLoss: Double? = nil
    /// Per-epoch training history, JSON text (`[{"epoch", "loss", "lr", "temperature", "seconds"}]`).
    public var history: String = "[]"

    /// Gathers the fields of a projector row (`checkpointDigest` is set when it is stored).
    public init(
        id: Int64? = nil, visionEncoderId: Int64, textEncoderId: Int64, architecture: String, checkpointDigest: String,
        trainingConfig: String, dataSummary: String, tag: String, createdAt: Date, finalLoss: Double? = nil, history: String = "[]"
    ) {
        self.id = id
        self.visionEncoderId = visionEncoderId
        self.textEncoderId = textEncoderId
        self.architecture = architecture
        self.checkpointDigest = checkpointDigest
        self.trainingConfig = trainingConfig
        self.dataSummary = dataSummary
        self.tag = tag
        self.createdAt = createdAt
        self.finalLoss = finalLoss
        self.history = history
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One row of `dataset`: a registered dataset (filled by the datasets issue).
public struct DatasetRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "dataset"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var name: String
    public var path: String
    public var format: String
    public var task: String
    public var split: String?
    /// Extra settings (class names file, templates file, …), JSON text.
    public var options: String
    public var createdAt: Date
    /// The number of items, once a command has read the whole dataset.
    public var itemCount: Int? = nil
    /// SHA-256 of the item ids joined by newlines, once known.
    public var idsDigest: String? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One row of `eval_run`: one evaluation of a projector pair on a dataset.
public struct EvalRunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "eval_run"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var projectorId: Int64
    public var datasetId: Int64
    public var task: String
    /// Metric name → value, JSON text.
    public var metrics: String
    public var seconds: Double
    public var zooVersion: String
    public var createdAt: Date
    /// Per-class results of a classification run, JSON text
    /// (`{"class_names", "per_class_recall", "confusion"}`), when recorded.
    public var details: String? = nil

    /// Gathers the fields of an evaluation row.
    public init(id: Int64? = nil, projectorId: Int64, datasetId: Int64, task: String, metrics: String, seconds: Double, zooVersion: String, createdAt: Date, details: String? = nil) {
        self.details = details
        self.id = id
        self.projectorId = projectorId
        self.datasetId = datasetId
        self.task = task
        self.metrics = metrics
        self.seconds = seconds
        self.zooVersion = zooVersion
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One row of `plugin`: an external encoder backend loaded from a shared library.
public struct PluginRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "plugin"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    /// The plugin's own name (`[a-z0-9_-]+`); encoders use it as backend `plugin:NAME`.
    public var name: String
    /// What the plugin encodes.
    public var modality: Modality
    /// The plugin's one-line description (empty when it gives none).
    public var summary: String
    /// Absolute path of the shared library.
    public var path: String
    /// SHA-256 of the library when it was added, lower-case hex; checked before every load.
    public var sha256: String
    /// The plugin ABI version it implements.
    public var abiVersion: Int
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
