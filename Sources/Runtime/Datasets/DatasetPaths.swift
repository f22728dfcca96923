import Foundation

/// File-system helpers shared by the readers; failures become ``DatasetError``s naming the path.
enum DatasetPaths {
    /// What is at a path.
    enum Kind { case missing, file, directory }

    /// What is at `path` (symbolic links followed).
    static func kind(of path: String) -> Kind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : .file
    }

    /// `name` inside `folder`.
    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The folder holding `path`.
    static func parent(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// The last component of `path`.
    static func baseName(of path: String) -> String {
        (path as NSString).lastPathComponent
    }

    /// Orders names by their UTF-8 bytes, which is the same on every platform and locale.
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The names in `folder`, hidden ones (leading `.`) left out, in byte order.
    static func contents(of folder: String) throws(DatasetError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { !$0.hasPrefix(".") }
                .sorted(by: byteOrder)
        } catch {
            throw DatasetError(.io, "\(folder): cannot list the folder: \(reason(error))")
        }
    }

    /// Checks that the file at `path` exists and is readable; `what` says what it should hold.
    static func requireFile(_ path: String, what: String) throws(DatasetError) {
        switch kind(of: path) {
        case .missing: throw DatasetError(.noInput, "\(path): no such file (expected \(what))")
        case .directory: throw DatasetError(.noInput, "\(path): is a folder (expected \(what))")
        case .file:
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw DatasetError(.io, "\(path): the file is not readable")
            }
        }
    }

    /// The whole file, for small text files.
    static func readSmallFile(_ path: String, what: String) throws(DatasetError) -> [UInt8] {
        try requireFile(path, what: what)
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw DatasetError(.io, "\(path): cannot read the file: \(reason(error))")
        }
    }

    /// The size of the file at `path` in bytes.
    static func size(of path: String) throws(DatasetError) -> Int64 {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw DatasetError(.io, "\(path): cannot read the file's size: \(reason(error))")
        }
    }

    /// A short reason for a Foundation error.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        return nsError.localizedDescription
    }
}
