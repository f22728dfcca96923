/// Which dataset to read and how.
public struct DatasetSpec: Sendable, Codable, Equatable {
    /// The absolute path of the dataset: a folder, a file, or (``DatasetFormat/wds``) a brace pattern.
    public var path: String
    /// The layout.
    public var format: DatasetFormat
    /// The split (`train`, `test`…); each format has its own default, see ``DatasetReaders``.
    public var split: String?
    /// A file of class names, one per line; overrides any found with the dataset.
    public var classnamesFile: String?
    /// A file of caption templates containing `{c}`, one per line; overrides any found with the dataset.
    public var templatesFile: String?
    /// Whether bad samples are skipped (and counted) instead of ending the iteration with an error.
    public var skipBad: Bool

    /// Creates a spec.
    public init(
        path: String, format: DatasetFormat, split: String? = nil, classnamesFile: String? = nil,
        templatesFile: String? = nil, skipBad: Bool = false
    ) {
        self.path = path
        self.format = format
        self.split = split
        self.classnamesFile = classnamesFile
        self.templatesFile = templatesFile
        self.skipBad = skipBad
    }

    private enum CodingKeys: String, CodingKey {
        case path, format, split, classnamesFile, templatesFile, skipBad
    }

    /// Decodes a spec; a missing `skipBad` reads as `false`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        format = try container.decode(DatasetFormat.self, forKey: .format)
        split = try container.decodeIfPresent(String.self, forKey: .split)
        classnamesFile = try container.decodeIfPresent(String.self, forKey: .classnamesFile)
        templatesFile = try container.decodeIfPresent(String.self, forKey: .templatesFile)
        skipBad = try container.decodeIfPresent(Bool.self, forKey: .skipBad) ?? false
    }
}
