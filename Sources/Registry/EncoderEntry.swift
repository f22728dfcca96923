import Foundation

/// An encoder with its aliases and stored checkpoint, as the catalog returns it.
public struct EncoderEntry: Sendable, Equatable {
    public var record: EncoderRecord
    /// Other names, sorted.
    public var aliases: [String]
    public var checkpoint: CheckpointRecord

    /// The encoder's unique name.
    public var name: String { record.name }
}

/// What a user asks to register with `zoo encoder add`.
public struct NewEncoder: Sendable {
    public var name: String
    public var aliases: [String]
    public var modality: Modality
    public var backend: String
    public var pooledWidth: Int?
    public var tokenWidth: Int?
    public var source: String?
    public var license: String?

    public init(
        name: String, aliases: [String] = [], modality: Modality, backend: String,
        pooledWidth: Int? = nil, tokenWidth: Int? = nil, source: String? = nil, license: String? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.modality = modality
        self.backend = backend
        self.pooledWidth = pooledWidth
        self.tokenWidth = tokenWidth
        self.source = source
        self.license = license
    }
}

/// Rules for encoder names and aliases.
public enum EncoderName {
    /// Throws `ZooError.usage` unless `name` is 1–128 characters of letters, digits, `.`, `_`,
    /// `-` and `/`, starting with a letter or digit (`+` and `@` are reserved for pair names).
    public static func validate(_ name: String, role: String = "encoder name") throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || "._-/".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 128, allowed,
              let first = name.unicodeScalars.first, CharacterSet.alphanumerics.contains(first)
        else {
            throw ZooError(.usage, "\(role) '\(name)' is not allowed: use 1-128 letters, digits, '.', '_', '-' or '/', starting with a letter or digit")
        }
    }
}
