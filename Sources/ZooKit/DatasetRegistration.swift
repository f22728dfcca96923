import Foundation
import Registry
import Runtime

/// `zoo dataset add`'s use-case: check a dataset on disk and record it in the catalog. The
/// reader opens it and reads the first item, so a dataset that cannot serve its task (no
/// labels, no captions, no class names) is refused before anything is stored.
public enum DatasetRegistration {
    /// What to register.
    public struct Request: Sendable {
        /// The unique name.
        public var name: String
        /// Where the dataset is (absolute).
        public var path: String
        /// Its format.
        public var format: DatasetFormat
        /// Its split, for formats that hold several (IDX: train or test).
        public var split: String?
        /// The task; nil takes the reader's default (pairs when captions come from labels).
        public var task: DatasetTask?
        /// Class names, one a line, in label order (absolute path).
        public var classnames: String?
        /// Prompt templates with `{c}` (absolute path).
        public var templates: String?
        /// Templates that turn labels into captions, making pairs (absolute path).
        public var captionsFromLabels: String?
        /// Class names whose items are left out.
        public var excludedClasses: [String] = []
        /// Skip bad samples (counted) instead of stopping.
        public var skipBad = false
        /// Replace a registered dataset of the same name.
        public var replace = false

        /// A request to register the `format` dataset at `path` as `name`.
        public init(name: String, path: String, format: DatasetFormat) {
            self.name = name
            self.path = path
            self.format = format
        }
    }

    /// Checks the dataset of `request` and records it; `zoo` is opened only once it has passed.
    /// Returns the stored row and the reader that checked it.
    ///
    /// - Throws: ``ZooError`` (options that do not fit together or the data: 64; an item
    ///   without the label or caption its task needs: 65; an empty dataset: 66), or the
    ///   ``DatasetError`` of the reader.
    public static func add(_ request: Request, zoo: @autoclosure () throws -> ModelZoo) throws -> (DatasetRecord, any DatasetReader) {
        let spec = DatasetSpec(
            path: request.path, format: request.format, split: request.split,
            classnamesFile: request.classnames, templatesFile: request.templates, skipBad: request.skipBad)
        let reader = try DatasetOpening.reader(spec)
        let task = request.task
        var chosenTask = task ?? reader.defaultTask
        var captionTemplates: [String]?
        if let captionsFromLabels = request.captionsFromLabels {
            guard task == nil || task == .pairs else {
                throw ZooError(.usage, "--captions-from-labels makes pairs; drop --task \(task!.rawValue) or the option")
            }
            guard let classNames = reader.classNames else {
                throw ZooError(.usage, "--captions-from-labels needs class names: pass --classnames FILE (one name per line, in label order)")
            }
            captionTemplates = try DatasetOpening.captionLines(captionsFromLabels, classNames: classNames)
            chosenTask = .pairs
        }
        if chosenTask == .classification && reader.classNames == nil {
            throw ZooError(.usage, "a classification dataset needs class names: pass --classnames FILE (one name per line, in label order)")
        }
        let first = try DatasetOpening.firstItem(reader)
        if chosenTask == .classification && first.label == nil {
            throw ZooError(.data, "item '\(first.id)' of '\(spec.path)' has no label; a classification dataset needs one per item")
        }
        if chosenTask != .classification && captionTemplates == nil && first.captions.isEmpty {
            throw ZooError(.data, "item '\(first.id)' of '\(spec.path)' has no caption; pass --captions-from-labels TEMPLATES to make pairs from labels, or --task classification")
        }
        if !request.excludedClasses.isEmpty {
            guard let names = reader.classNames else {
                throw ZooError(.usage, "--exclude-classes needs class names: pass --classnames FILE")
            }
            for name in request.excludedClasses where !names.contains(name) {
                throw ZooError(.usage, "--exclude-classes: '\(name)' is not a class.\(NameSuggester.hint(for: name, in: names)) Classes: \(names.joined(separator: ", "))")
            }
        }
        let options = DatasetOptions(
            classnamesFile: spec.classnamesFile, templatesFile: spec.templatesFile,
            captionTemplatesFile: request.captionsFromLabels, skipBad: request.skipBad,
            excludedClasses: request.excludedClasses.isEmpty ? nil : request.excludedClasses)
        let record = try zoo().catalog.addDataset(
            NewDataset(name: request.name, path: spec.path, format: request.format.rawValue, task: chosenTask.rawValue,
                       split: request.split, options: try options.jsonText()),
            replace: request.replace)
        return (record, reader)
    }
}
