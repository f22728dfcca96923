import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Registry
import Runtime

/// Image inputs of `zoo encode` and `zoo preprocess`: `--images`, an `--input` list of paths, or
/// an already preprocessed `--pixels` tensor.
public enum ImageInput {
    /// The file extensions a folder is searched for (lowercased).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp"]

    /// Image URLs from `--images` or an `--input` file (one path per line, relative to the
    /// current directory; blank lines skipped). A folder stands for its JPEG, PNG and WebP files
    /// (recursively, hidden ones left out, sorted by path); a path with `*`, `?` or `[` is a glob
    /// (sorted). A folder or glob that finds nothing is exit 66 naming it; a plain path is kept
    /// as given, so a missing file fails when it is read.
    public static func urls(images: [String], input: String?) throws -> [URL] {
        switch (images.isEmpty, input) {
        case (false, nil):
            return try expand(images)
        case (true, let path?):
            return try expand(TextInput.read(path).map(\.text).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
        case (false, _?):
            throw ZooError(.usage, "pass either --images or --input, not both")
        case (true, nil):
            throw ZooError(.usage, "pass --images PATH..., --input FILE (one image path per line) or --pixels FILE.safetensors")
        }
    }

    /// Expands folders and globs in `paths`, keeping their order.
    public static func expand(_ paths: [String]) throws -> [URL] {
        var urls: [URL] = []
        for path in paths {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                let found = imagesInFolder(path)
                guard !found.isEmpty else {
                    throw ZooError(.noInput, "folder '\(path)' holds no .jpg, .jpeg, .png or .webp files")
                }
                urls += found
            } else if path.contains(where: { "*?[".contains($0) }) && !FileManager.default.fileExists(atPath: path) {
                let found = glob(path)
                guard !found.isEmpty else { throw ZooError(.noInput, "no file matches '\(path)'") }
                urls += found.map { URL(fileURLWithPath: $0) }
            } else {
                urls.append(URL(fileURLWithPath: path))
            }
        }
        return urls
    }

    /// The image files under `folder`, sorted by path; each path is `folder` joined with the
    /// file's path inside it (relative stays relative).
    private static func imagesInFolder(_ folder: String) -> [URL] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var found: [String] = []
        for case let relative as String in walker {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            guard imageExtensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
            let path = base + "/" + relative
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { found.append(path) }
        }
        return found.sorted().map { URL(fileURLWithPath: $0) }
    }

    /// The paths `pattern` matches (glob(3)), sorted.
    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in result.gl_pathv[index].map { String(cString: $0) } }.sorted()
    }

    /// The `pixels` tensor F32 [N,3,H,W] of a safetensors file, checked.
    public static func pixels(_ path: String) throws -> Tensor {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError(.noInput, "pixels file '\(path)' does not exist")
        }
        do {
            let file = try SafeTensorsFile(url: URL(fileURLWithPath: path))
            let info = try file.info("pixels")
            guard info.shape.count == 4 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' has shape \(info.shape); expected [N, 3, H, W]")
            }
            guard info.shape[1] == 3 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' has \(info.shape[1]) channels; expected 3 (RGB) in [N, 3, H, W]")
            }
            guard info.shape[0] > 0, info.shape[2] > 0, info.shape[3] > 0 else {
                throw ZooError(.data, "'\(path)': tensor 'pixels' of shape \(info.shape) is empty")
            }
            return Tensor(shape: info.shape, scalars: try file.floats("pixels"))
        } catch let error as SafeTensorsError {
            throw ZooError(.data, error.description)
        }
    }
}
