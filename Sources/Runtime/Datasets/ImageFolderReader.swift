import Foundation

/// Reads an ImageFolder tree (``DatasetFormat/imagefolder``): `PATH/CLASS/…/*.{jpg,jpeg,png,webp}`.
///
/// The classes are the sub-folders in byte order (hidden ones left out), the label is a class's
/// position; images are found recursively inside each class folder and read in byte order of
/// their relative paths, which are the item ids (`CLASS/…/NAME.jpg`). When the split is given and
/// `PATH/SPLIT` is a folder, that folder is read instead. A class-names file (given, or
/// `PATH/classnames.txt`) renames the classes and must list as many names as there are folders.
public struct ImageFolderReader: DatasetReader {
    /// The image file extensions read (compared lower-cased).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp"]

    /// The spec the reader was opened with.
    public let spec: DatasetSpec
    /// The class names, by label, or `nil`.
    public let classNames: [String]?
    /// The caption templates (each with `{c}`), or `nil`.
    public let templates: [String]?
    /// Always ``DatasetTask/classification``.
    public var defaultTask: DatasetTask { .classification }
    /// The folder whose sub-folders are the classes.
    public let root: String
    /// The class sub-folder names, in label order.
    public let classFolders: [String]

    /// Lists the classes and checks that some image exists.
    init(spec: DatasetSpec) throws(DatasetError) {
        self.spec = spec
        switch DatasetPaths.kind(of: spec.path) {
        case .missing:
            throw DatasetError(.noInput, "\(spec.path): no such folder (expected an ImageFolder tree PATH/CLASS/*.jpg)")
        case .file:
            throw DatasetError(.usage, "\(spec.path): is a file (expected an ImageFolder tree PATH/CLASS/*.jpg)")
        case .directory:
            break
        }
        var root = spec.path
        if let split = spec.split, DatasetPaths.kind(of: DatasetPaths.join(spec.path, split)) == .directory {
            root = DatasetPaths.join(spec.path, split)
        }
        self.root = root
        classFolders = try DatasetPaths.contents(of: root).filter {
            DatasetPaths.kind(of: DatasetPaths.join(root, $0)) == .directory
        }
        guard !classFolders.isEmpty else {
            throw DatasetError(
                .noInput, "\(root): no class sub-folders (expected an ImageFolder tree PATH/CLASS/*.jpg)")
        }
        let metadata = try ClassMetadata.load(spec: spec, folder: spec.path)
        if let names = metadata.classNames, names.count != classFolders.count {
            let file = spec.classnamesFile ?? DatasetPaths.join(spec.path, ClassMetadata.classNamesFileName)
            throw DatasetError(
                .data, "\(file): \(names.count) class names for \(classFolders.count) class folders in \(root)")
        }
        classNames = metadata.classNames ?? classFolders
        templates = metadata.templates
        guard classFolders.contains(where: { Self.hasImage(in: DatasetPaths.join(root, $0)) }) else {
            throw DatasetError(
                .noInput, "\(root): no .jpg, .jpeg, .png or .webp files in the \(classFolders.count) class folders")
        }
    }

    /// A new iterator from the first item.
    public func makeIterator() throws(DatasetError) -> any DatasetIterator {
        ImageFolderIterator(root: root, classFolders: classFolders)
    }

    /// Whether `path` names an image by its extension.
    static func isImage(_ path: String) -> Bool {
        imageExtensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Whether some image lies under `folder`, stopping at the first.
    private static func hasImage(in folder: String) -> Bool {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return false }
        while let relative = enumerator.nextObject() as? String {
            if DatasetPaths.baseName(of: relative).hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            if isImage(relative), DatasetPaths.kind(of: DatasetPaths.join(folder, relative)) == .file { return true }
        }
        return false
    }
}
