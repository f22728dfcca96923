/// Reads JSON Lines (``DatasetFormat/jsonl``): one object a line,
/// `{"image": PATH, "caption": TEXT, "captions": [TEXT…], "label": INT or CLASS NAME, "id": STRING or INT}`,
/// where only `image` is required; a relative image path is relative to the `.jsonl` file's folder.
///
/// The path is a `.jsonl` file, or a folder holding `SPLIT.jsonl` (the split defaults to `train`).
/// The item id is the `id` field, else `line-N` (N the 1-based line number); blank lines are
/// skipped. Bad JSON, a missing `image`, a bad label and a repeated id are data errors naming the
/// file and line.
public struct JSONLinesReader: DatasetReader {
    /// The spec the reader was opened with.
    public let spec: DatasetSpec
    /// The class names, by label, or `nil`.
    public let classNames: [String]?
    /// The caption templates (each with `{c}`), or `nil`.
    public let templates: [String]?
    /// The task the first sample suggests.
    public let defaultTask: DatasetTask
    /// The `.jsonl` file read.
    public let file: String

    private let metadata: ClassMetadata

    /// Finds the file, loads the class names and templates, and reads the first record to check
    /// that there is one and to choose ``defaultTask``.
    init(spec: DatasetSpec) throws(DatasetError) {
        self.spec = spec
        switch DatasetPaths.kind(of: spec.path) {
        case .missing:
            throw DatasetError(.noInput, "\(spec.path): no such file or folder (expected a .jsonl file)")
        case .file:
            file = spec.path
        case .directory:
            let split = spec.split ?? "train"
            file = DatasetPaths.join(spec.path, split + ".jsonl")
            guard DatasetPaths.kind(of: file) == .file else {
                throw DatasetError(
                    .noInput, "\(spec.path): no \(split).jsonl in the folder (expected one JSON object a line)")
            }
        }
        metadata = try ClassMetadata.load(spec: spec, folder: DatasetPaths.parent(of: file))
        classNames = metadata.classNames
        templates = metadata.templates
        var first: DatasetItem?
        do throws(DatasetError) {
            first = try JSONLinesIterator(file: file, metadata: metadata, skipBad: spec.skipBad).next()
        } catch  where error.kind == .noInput || error.kind == .io {
            throw error
        } catch {
            first = nil
        }
        if let first, !first.captions.isEmpty {
            defaultTask = .pairs
        } else if first?.label != nil || metadata.classNames != nil {
            defaultTask = .classification
        } else {
            defaultTask = .pairs
        }
    }

    /// A new iterator from the first item.
    public func makeIterator() throws(DatasetError) -> any DatasetIterator {
        try JSONLinesIterator(file: file, metadata: metadata, skipBad: spec.skipBad)
    }
}
