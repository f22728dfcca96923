/// Turns class labels into captions with templates such as `"a photo of a {c}."`, to train
/// image–text pairs from a classification dataset.
///
/// The template is chosen deterministically from `(seed, epoch, itemIndex)`, so runs repeat and
/// each epoch sees other templates for the same image.
public struct LabelCaptioner: Sendable, Equatable {
    /// The template used when none are given.
    public static let defaultTemplate = "a photo of a {c}."

    /// The class names, by label.
    public let classNames: [String]
    /// The templates, each containing `{c}`.
    public let templates: [String]

    /// Creates a captioner; with no templates, ``defaultTemplate`` alone is used.
    ///
    /// Throws a usage error when there are no class names or a template lacks `{c}`.
    public init(classNames: [String], templates: [String]?) throws(DatasetError) {
        guard !classNames.isEmpty else { throw DatasetError(.usage, "label captions need class names") }
        let templates = templates ?? [Self.defaultTemplate]
        guard !templates.isEmpty else { throw DatasetError(.usage, "label captions need at least one template") }
        for (number, template) in templates.enumerated() where !template.contains("{c}") {
            throw DatasetError(.usage, "template \(number + 1) \"\(template)\" has no {c}")
        }
        self.classNames = classNames
        self.templates = templates
    }

    /// The caption for `label` of the item at `itemIndex` in `epoch`.
    ///
    /// - Precondition: `label` is in `0..<classNames.count`.
    public func caption(for label: Int, itemIndex: Int, epoch: Int, seed: UInt64) -> String {
        precondition(classNames.indices.contains(label), "label \(label) outside 0..<\(classNames.count)")
        var state = seed
        state = Self.mix(state ^ UInt64(bitPattern: Int64(epoch)))
        state = Self.mix(state ^ UInt64(bitPattern: Int64(itemIndex)))
        return fill(templates[Int(state % UInt64(templates.count))], with: classNames[label])
    }

    /// Every template filled with the class name of `label` (zero-shot classifier prompts).
    ///
    /// - Precondition: `label` is in `0..<classNames.count`.
    public func allCaptions(for label: Int) -> [String] {
        precondition(classNames.indices.contains(label), "label \(label) outside 0..<\(classNames.count)")
        return templates.map { fill($0, with: classNames[label]) }
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
