import Foundation

/// Turns class labels into captions, to train image–text pairs from a classification dataset.
///
/// Two kinds of lines make the caption set: templates such as `"a photo of a {c}."`, filled with
/// any class's name, and class-specific captions written `CLASS: caption`, where `CLASS` is one of
/// the class names exactly (`"sandal: an open summer sandal with thin straps."`); those serve
/// only that class (a `{c}` in them is filled too). A line whose text before its first `:` is
/// not a class name is a template. For an item, the caption is drawn from the templates and its
/// class's own captions together, deterministically from `(seed, epoch, itemIndex)`, so runs
/// repeat and each epoch sees other captions for the same image.
public struct LabelCaptioner: Sendable, Equatable {
    /// The template used when none are given.
    public static let defaultTemplate = "a photo of a {c}."

    /// The class names, by label.
    public let classNames: [String]
    /// The templates, each containing `{c}`.
    public let templates: [String]
    /// Each class's own captions, by label (often empty).
    public let classCaptions: [[String]]

    /// Creates a captioner from caption lines; with none, ``defaultTemplate`` alone is used.
    ///
    /// Throws a usage error when there are no class names, a template lacks `{c}`, or a class
    /// would have no caption at all (no templates and none of its own).
    public init(classNames: [String], templates lines: [String]?) throws(DatasetError) {
        guard !classNames.isEmpty else { throw DatasetError(.usage, "label captions need class names") }
        let lines = lines ?? [Self.defaultTemplate]
        guard !lines.isEmpty else { throw DatasetError(.usage, "label captions need at least one template") }
        var templates: [String] = []
        var classCaptions = [[String]](repeating: [], count: classNames.count)
        for (number, line) in lines.enumerated() {
            if let problem = Self.problem(with: line, classNames: classNames) {
                throw DatasetError(.usage, "line \(number + 1): \(problem)")
            }
            if let (label, caption) = Self.classCaption(line, classNames: classNames) {
                classCaptions[label].append(caption)
            } else {
                templates.append(line)
            }
        }
        if templates.isEmpty, let bare = classCaptions.firstIndex(where: \.isEmpty) {
            throw DatasetError(.usage, "class '\(classNames[bare])' has no caption: add a template with {c} or a line '\(classNames[bare]): …'")
        }
        self.classNames = classNames
        self.templates = templates
        self.classCaptions = classCaptions
    }

    /// Why `line` is not a caption line — a template without `{c}` that is not a class's own
    /// caption either, or a class's own caption that is empty — or nil when it is one.
    public static func problem(with line: String, classNames: [String]) -> String? {
        if let (label, caption) = classCaption(line, classNames: classNames) {
            return caption.isEmpty ? "'\(line)' gives class '\(classNames[label])' an empty caption" : nil
        }
        if line.contains("{c}") { return nil }
        return "'\(line)' is neither a template with {c} nor a class's own caption ('CLASS: caption', CLASS one of the class names)"
    }

    /// The label and caption of a class-specific line (`CLASS: caption`, `CLASS` one of
    /// `classNames` exactly, spaces around it ignored), or nil when `line` is a template.
    public static func classCaption(_ line: String, classNames: [String]) -> (label: Int, caption: String)? {
        guard let colon = line.firstIndex(of: ":"),
              let label = classNames.firstIndex(of: line[..<colon].trimmingCharacters(in: .whitespaces))
        else { return nil }
        return (label, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    /// The caption for `label` of the item at `itemIndex` in `epoch`.
    ///
    /// - Precondition: `label` is in `0..<classNames.count`.
    public func caption(for label: Int, itemIndex: Int, epoch: Int, seed: UInt64) -> String {
        precondition(classNames.indices.contains(label), "label \(label) outside 0..<\(classNames.count)")
        var state = seed
        state = Self.mix(state ^ UInt64(bitPattern: Int64(epoch)))
        state = Self.mix(state ^ UInt64(bitPattern: Int64(itemIndex)))
        let own = classCaptions[label]
        let choice = Int(state % UInt64(templates.count + own.count))
        return fill(choice < templates.count ? templates[choice] : own[choice - templates.count], with: classNames[label])
    }

    /// Every caption of `label`: the templates filled with its class name, then the class's own
    /// captions (zero-shot classifier prompts, or the text side of training pairs).
    ///
    /// - Precondition: `label` is in `0..<classNames.count`.
    public func allCaptions(for label: Int) -> [String] {
        precondition(classNames.indices.contains(label), "label \(label) outside 0..<\(classNames.count)")
        return (templates + classCaptions[label]).map { fill($0, with: classNames[label]) }
    }

    private func fill(_ template: String, with name: String) -> String {
        template.split(separator: "{c}", omittingEmptySubsequences: false).joined(separator: name)
    }

    /// SplitMix64's finaliser.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
