import Foundation

/// The dataset settings kept in the catalog row's `options` JSON.
public struct DatasetOptions: Codable, Equatable, Sendable {
    /// The class-names file (`--classnames`).
    public var classnamesFile: String?
    /// The prompt-templates file (`--templates`).
    public var templatesFile: String?
    /// Templates that turn labels into captions (`--captions-from-labels`).
    public var captionTemplatesFile: String?
    /// Whether unreadable items are skipped and counted (`--skip-bad`).
    public var skipBad = false
    /// Class names whose items are left out (`--exclude-classes`).
    public var excludedClasses: [String]? = nil

    // The stored keys predate the property names; they stay as shipped.
    enum CodingKeys: String, CodingKey {
        case excludedClasses = "exclude_classes"
        case classnamesFile = "classnames_file"
        case templatesFile = "templates_file"
        case captionTemplatesFile = "captions_from_labels"
        case skipBad = "skip_bad"
    }

    /// Options with the given settings.
    public init(
        classnamesFile: String? = nil, templatesFile: String? = nil, captionTemplatesFile: String? = nil,
        skipBad: Bool = false, excludedClasses: [String]? = nil
    ) {
        self.classnamesFile = classnamesFile
        self.templatesFile = templatesFile
        self.captionTemplatesFile = captionTemplatesFile
        self.skipBad = skipBad
        self.excludedClasses = excludedClasses
    }

    /// The JSON text stored in the catalog, keys sorted.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The options of a catalog row; defaults when the text is not valid options JSON.
    public static func parse(_ text: String) -> DatasetOptions {
        (try? JSONDecoder().decode(DatasetOptions.self, from: Data(text.utf8))) ?? DatasetOptions()
    }
}
