/// The class names and caption templates of a dataset: from the spec's files when given, else
/// from `classnames.txt` and `zeroshot_classification_templates.txt` in the dataset's folder
/// (the CLIP_benchmark names) when present.
struct ClassMetadata: Sendable {
    /// The file name looked for in the dataset folder for class names.
    static let classNamesFileName = "classnames.txt"
    /// The file name looked for in the dataset folder for templates.
    static let templatesFileName = "zeroshot_classification_templates.txt"

    var classNames: [String]?
    var templates: [String]?

    /// Loads the metadata for `spec`, looking in `folder` for the default files.
    static func load(spec: DatasetSpec, folder: String?) throws(DatasetError) -> ClassMetadata {
        var metadata = ClassMetadata()
        if let file = spec.classnamesFile {
            metadata.classNames = try TextListFile.classNames(at: file)
        } else if let folder, DatasetPaths.kind(of: DatasetPaths.join(folder, classNamesFileName)) == .file {
            metadata.classNames = try TextListFile.classNames(at: DatasetPaths.join(folder, classNamesFileName))
        }
        if let file = spec.templatesFile {
            metadata.templates = try TextListFile.templates(at: file)
        } else if let folder, DatasetPaths.kind(of: DatasetPaths.join(folder, templatesFileName)) == .file {
            metadata.templates = try TextListFile.templates(at: DatasetPaths.join(folder, templatesFileName))
        }
        return metadata
    }

    /// Checks `label` against the class names, if any; `place` names the sample.
    func check(label: Int, place: String) throws(DatasetError) {
        guard let classNames else {
            guard label >= 0 else { throw DatasetError(.data, "\(place): negative label \(label)") }
            return
        }
        guard label >= 0 && label < classNames.count else {
            throw DatasetError(.data, "\(place): label \(label) is outside 0..<\(classNames.count) (the class names)")
        }
    }
}
