import Foundation

/// `manifest.json`, the first entry of a projector archive (`.zoo`): what the projector is, which
/// encoders it needs, how it was trained and evaluated, and the size and SHA-256 of every other
/// file in the archive. docs/ARCHIVES.md describes each field.
public struct ArchiveManifest: Codable, Sendable, Equatable {
    /// The value of `format` in every projector archive.
    public static let formatName = "zoo-projector"
    /// The `format_version` values this zoo reads (and the first one, which it writes).
    public static let readableVersions = [1]
    /// The archive path of the manifest.
    public static let manifestPath = "manifest.json"
    /// The archive path of the generated model card.
    public static let modelCardPath = "MODEL_CARD.md"
    /// Files every archive's projector checkpoint holds.
    public static let requiredCheckpointFiles = ["config.json", "projector.safetensors"]

    /// One encoder the projector was trained on (the encoder itself is not in the archive).
    public struct EncoderInfo: Codable, Sendable, Equatable {
        public var name: String
        public var aliases: [String]
        public var modality: Modality
        public var backend: String
        public var source: String?
        public var license: String?
        /// The digest of the encoder's stored checkpoint: how `zoo import` finds it.
        public var checkpointDigest: String
        public var pooledWidth: Int?
        public var tokenWidth: Int?

        enum CodingKeys: String, CodingKey {
            case name, aliases, modality, backend, source, license
            case checkpointDigest = "checkpoint_digest"
            case pooledWidth = "pooled_width"
            case tokenWidth = "token_width"
        }

        /// Describes a registered encoder.
        public init(_ entry: EncoderEntry) {
            name = entry.name
            aliases = entry.aliases
            modality = entry.record.modality
            backend = entry.record.backend
            source = entry.record.source
            license = entry.record.license
            checkpointDigest = entry.record.checkpointDigest
            pooledWidth = entry.record.pooledWidth
            tokenWidth = entry.record.tokenWidth
        }

        public init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            aliases = try container.decode([String].self, forKey: .aliases)
            modality = try container.decode(Modality.self, forKey: .modality)
            backend = try container.decode(String.self, forKey: .backend)
            source = try container.decodeIfPresent(String.self, forKey: .source)
            license = try container.decodeIfPresent(String.self, forKey: .license)
            checkpointDigest = try container.decode(String.self, forKey: .checkpointDigest)
            pooledWidth = try container.decodeIfPresent(Int.self, forKey: .pooledWidth)
            tokenWidth = try container.decodeIfPresent(Int.self, forKey: .tokenWidth)
        }

        public func encode(to encoder: any Swift.Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(aliases, forKey: .aliases)
            try container.encode(modality, forKey: .modality)
            try container.encode(backend, forKey: .backend)
            try container.encode(source, forKey: .source)
            try container.encode(license, forKey: .license)
            try container.encode(checkpointDigest, forKey: .checkpointDigest)
            try container.encode(pooledWidth, forKey: .pooledWidth)
            try container.encode(tokenWidth, forKey: .tokenWidth)
        }
    }

    /// The pair's two encoders.
    public struct Encoders: Codable, Sendable, Equatable {
        public var vision: EncoderInfo
        public var text: EncoderInfo
    }

    /// The projector itself.
    public struct Projector: Codable, Sendable, Equatable {
        public var tag: String
        /// The architecture object (the same as the archive's `config.json`).
        public var architecture: JSONValue
        /// The digest of the projector checkpoint (the archive's files other than the model card).
        public var checkpointDigest: String
        public var finalLoss: Double?
        /// Per-epoch training history.
        public var history: JSONValue

        enum CodingKeys: String, CodingKey {
            case tag, architecture, history
            case checkpointDigest = "checkpoint_digest"
            case finalLoss = "final_loss"
        }

        public init(tag: String, architecture: JSONValue, checkpointDigest: String, finalLoss: Double?, history: JSONValue) {
            self.tag = tag
            self.architecture = architecture
            self.checkpointDigest = checkpointDigest
            self.finalLoss = finalLoss
            self.history = history
        }

        public init(from decoder: any Swift.Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tag = try container.decode(String.self, forKey: .tag)
            architecture = try container.decode(JSONValue.self, forKey: .architecture)
            checkpointDigest = try container.decode(String.self, forKey: .checkpointDigest)
            finalLoss = try container.decodeIfPresent(Double.self, forKey: .finalLoss)
            history = try container.decode(JSONValue.self, forKey: .history)
        }

        public func encode(to encoder: any Swift.Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tag, forKey: .tag)
            try container.encode(architecture, forKey: .architecture)
            try container.encode(checkpointDigest, forKey: .checkpointDigest)
            try container.encode(finalLoss, forKey: .finalLoss)
            try container.encode(history, forKey: .history)
        }
    }

    /// One evaluation of the pair, as recorded where it was packed.
    public struct Evaluation: Codable, Sendable, Equatable {
        public var task: String
        /// The dataset's name in the packing zoo.
        public var dataset: String
        public var metrics: JSONValue
        public var seconds: Double
        public var zooVersion: String
        /// ISO 8601, UTC, to the second.
        public var createdAt: String

        enum CodingKeys: String, CodingKey {
            case task, dataset, metrics, seconds
            case zooVersion = "zoo_version"
            case createdAt = "created_at"
        }
    }

    /// Size and hash of one archive file.
    public struct File: Codable, Sendable, Equatable {
        public var bytes: Int64
        /// Lower-case hex SHA-256.
        public var sha256: String
    }

    /// Always `zoo-projector`.
    public var format: String
    /// The layout version; this zoo writes 1 and reads `readableVersions`.
    public var formatVersion: Int
    public var encoders: Encoders
    public var projector: Projector
    /// The training configuration object.
    public var training: JSONValue
    /// The data summary object.
    public var data: JSONValue
    /// The pair's evaluations, oldest first; may be empty.
    public var evaluations: [Evaluation]
    /// Every archive entry other than the manifest, by path.
    public var files: [String: File]
    /// The zoo that wrote the archive.
    public var zooVersion: String

    enum CodingKeys: String, CodingKey {
        case format, encoders, projector, training, data, evaluations, files
        case formatVersion = "format_version"
        case zooVersion = "zoo_version"
    }

    /// The paths of the projector checkpoint's files (every file but the model card), sorted.
    public var checkpointFiles: [CheckpointFile] {
        files.filter { $0.key != Self.modelCardPath }
            .map { CheckpointFile(path: $0.key, bytes: $0.value.bytes, sha256: $0.value.sha256) }
            .sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    /// The manifest as written into archives: pretty-printed JSON with sorted keys and a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0a)
        return data
    }

    /// Parses a manifest, checking `format` and `format_version` before anything else.
    ///
    /// - Throws: `ZooError.data` (65) saying what is malformed or which versions this zoo reads.
    public static func decode(_ data: Data) throws -> ArchiveManifest {
        struct Header: Decodable {
            var format: String?
            var formatVersion: Int?
            enum CodingKeys: String, CodingKey {
                case format
                case formatVersion = "format_version"
            }
        }
        let readable = readableVersions.map(String.init).joined(separator: ", ")
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: data) } catch {
            throw ZooError(.data, "manifest.json is not a JSON object with 'format' and 'format_version' (\(describe(error)))")
        }
        guard header.format == formatName else {
            throw ZooError(.data, "manifest.json has format '\(header.format ?? "none")', not '\(formatName)'; this is not a zoo projector archive")
        }
        guard let version = header.formatVersion, readableVersions.contains(version) else {
            throw ZooError(.data, "manifest.json has format_version \(header.formatVersion.map(String.init) ?? "none"); this zoo reads format_version \(readable) only (upgrade zoo for newer archives)")
        }
        do { return try JSONDecoder().decode(ArchiveManifest.self, from: data) } catch {
            throw ZooError(.data, "manifest.json is malformed: \(describe(error))")
        }
    }

    /// "missing field 'encoders.vision.name'" and the like.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "field '\(path(context.codingPath))' has the wrong type"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "field '\(path(context.codingPath))' has an invalid value"
        default:
            return "\(error)"
        }
    }
}
