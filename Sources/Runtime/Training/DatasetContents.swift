/// The ids, captions and labels of a dataset's items, read once in dataset order (without
/// decoding images), for building caches and training pairs.
public struct DatasetContents: Sendable {
    /// Item ids, in dataset order.
    public var ids: [String] = []
    /// Caption candidates of each item: its own captions, or the caption templates filled with
    /// its class name when templates are given.
    public var captions: [[String]] = []
    /// Each item's label, when it has one.
    public var labels: [Int?] = []

    /// Reads `reader` through.
    ///
    /// - Parameters:
    ///   - captionTemplates: When given, each labelled item's captions are the caption lines of
    ///     its class (`--captions-from-labels`, see ``LabelCaptioner``): the templates with `{c}`
    ///     replaced by its class name, then the class's own `CLASS: caption` lines.
    /// - Throws: ``DatasetError`` from the reader, or a data error for a label outside the class
    ///   names.
    ///   - excludedLabels: Items with these labels are left out (held-out classes).
    public static func read(_ reader: any DatasetReader, captionTemplates: [String]? = nil, excludedLabels: Set<Int> = []) throws(DatasetError) -> DatasetContents {
        var contents = DatasetContents()
        let iterator = try reader.makeIterator()
        let classNames = reader.classNames
        let captioner = try captionTemplates.map { lines throws(DatasetError) in
            try LabelCaptioner(classNames: classNames ?? [], templates: lines)
        }
        var filled: [Int: [String]] = [:]
        while let item = try iterator.next() {
            if let label = item.label, excludedLabels.contains(label) { continue }
            contents.ids.append(item.id)
            contents.labels.append(item.label)
            if let captioner, let label = item.label {
                guard label >= 0, label < captioner.classNames.count else {
                    throw DatasetError(.data, "item '\(item.id)' of '\(reader.spec.path)' has label \(label), outside the \(classNames?.count ?? 0) class names")
                }
                if filled[label] == nil { filled[label] = captioner.allCaptions(for: label) }
                contents.captions.append(filled[label]!)
            } else {
                contents.captions.append(item.captions)
            }
        }
        return contents
    }

    /// Every distinct caption, in first-seen order.
    public var uniqueCaptions: [String] {
        var seen = Set<String>()
        var unique: [String] = []
        for list in captions {
            for caption in list where seen.insert(caption).inserted { unique.append(caption) }
        }
        return unique
    }
}
