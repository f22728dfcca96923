import Foundation

/// Walks an ImageFolder tree class by class, listing one class folder at a time.
final class ImageFolderIterator: DatasetIterator {
    private let root: String
    private let classFolders: [String]
    private var classIndex = -1
    private var files: [String] = []
    private var fileIndex = 0
    private var nextIndex = 0
    private var finished = false

    init(root: String, classFolders: [String]) {
        self.root = root
        self.classFolders = classFolders
    }

    func next() throws(DatasetError) -> DatasetItem? {
        guard !finished else { return nil }
        while fileIndex >= files.count {
            classIndex += 1
            guard classIndex < classFolders.count else {
                finished = true
                return nil
            }
            do throws(DatasetError) {
                files = try listImages(in: classFolders[classIndex])
            } catch {
                finished = true
                throw error
            }
            fileIndex = 0
        }
        let relative = classFolders[classIndex] + "/" + files[fileIndex]
        fileIndex += 1
        let index = nextIndex
        nextIndex += 1
        return DatasetItem(
            index: index, id: relative, image: .file(URL(fileURLWithPath: DatasetPaths.join(root, relative))),
            captions: [], label: classIndex)
    }

    /// The image files under the class folder, relative to it, in byte order.
    private func listImages(in classFolder: String) throws(DatasetError) -> [String] {
        let folder = DatasetPaths.join(root, classFolder)
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw DatasetError(.io, "\(folder): cannot list the class folder")
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if DatasetPaths.baseName(of: relative).hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            if ImageFolderReader.isImage(relative), DatasetPaths.kind(of: DatasetPaths.join(folder, relative)) == .file
            {
                found.append(relative)
            }
        }
        return found.sorted(by: DatasetPaths.byteOrder)
    }
}
