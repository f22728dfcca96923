import Foundation

/// Reads MNIST / Fashion-MNIST IDX files (``DatasetFormat/idx``), gzipped or not.
///
/// The path is a folder holding `PREFIX-images-idx3-ubyte[.gz]` and `PREFIX-labels-idx1-ubyte[.gz]`
/// (PREFIX `train` for the split `train`, the default, and `t10k` for `test`), or an images file,
/// whose labels file is named with `images-idx3` replaced by `labels-idx1`. The headers are checked
/// when opening (magic 0x00000803 and 0x00000801, sizes, equal counts, file lengths); each grey
/// image becomes an ``RGBImage`` with the grey copied to all three channels
/// (``ImagePayload/decoded(_:)``). Item ids are `SPLIT/00000`, `SPLIT/00001`….
public struct IDXReader: DatasetReader {
    /// The magic number of an images file (unsigned bytes, three dimensions).
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// The magic number of a labels file (unsigned bytes, one dimension).
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// The largest image side accepted.
    public static let maxSide = 4096

    /// The spec the reader was opened with.
    public let spec: DatasetSpec
    /// The class names, by label, or `nil`.
    public let classNames: [String]?
    /// The caption templates (each with `{c}`), or `nil`.
    public let templates: [String]?
    /// Always ``DatasetTask/classification``.
    public var defaultTask: DatasetTask { .classification }
    /// The images file.
    public let imagesFile: String
    /// The labels file.
    public let labelsFile: String
    /// The split name used in the ids: `train` or `test`.
    public let splitName: String
    /// The number of images.
    public let count: Int
    /// Rows of each image.
    public let rows: Int
    /// Columns of each image.
    public let columns: Int

    private let metadata: ClassMetadata

    /// Finds the two files and checks their headers and lengths.
    init(spec: DatasetSpec) throws(DatasetError) {
        self.spec = spec
        let files = try Self.locate(spec)
        imagesFile = files.images
        labelsFile = files.labels
        splitName = files.split
        let images = try Self.header(of: imagesFile, magic: Self.imagesMagic, dimensions: 3)
        let labels = try Self.header(of: labelsFile, magic: Self.labelsMagic, dimensions: 1)
        count = images[0]
        rows = images[1]
        columns = images[2]
        guard (1...Self.maxSide).contains(rows), (1...Self.maxSide).contains(columns) else {
            throw DatasetError(
                .data, "\(imagesFile): unsupported image size \(rows)x\(columns) (1 to \(Self.maxSide) a side)")
        }
        guard labels[0] == count else {
            throw DatasetError(.data, "\(labelsFile): \(labels[0]) labels for the \(count) images of \(imagesFile)")
        }
        guard count > 0 else { throw DatasetError(.noInput, "\(imagesFile): the file holds no images") }
        try Self.checkLength(of: imagesFile, expected: 16 + Int64(count) * Int64(rows * columns))
        try Self.checkLength(of: labelsFile, expected: 8 + Int64(count))
        metadata = try ClassMetadata.load(spec: spec, folder: DatasetPaths.parent(of: imagesFile))
        classNames = metadata.classNames
        templates = metadata.templates
    }

    /// A new iterator from the first item.
    public func makeIterator() throws(DatasetError) -> any DatasetIterator {
        try IDXIterator(
            imagesFile: imagesFile, labelsFile: labelsFile, count: count, rows: rows, columns: columns,
            split: splitName, metadata: metadata, skipBad: spec.skipBad)
    }

    /// The images and labels files and the split name.
    private static func locate(
        _ spec: DatasetSpec
    ) throws(DatasetError) -> (images: String, labels: String, split: String) {
        let path = spec.path
        switch DatasetPaths.kind(of: path) {
        case .missing:
            throw DatasetError(.noInput, "\(path): no such file or folder (expected MNIST-style IDX files)")
        case .directory:
            let split = spec.split ?? "train"
            let prefix: String
            switch split {
            case "train": prefix = "train"
            case "test", "t10k": prefix = "t10k"
            default: throw DatasetError(.usage, "\(path): unknown IDX split \"\(split)\" (train or test)")
            }
            let images = try find(in: path, name: "\(prefix)-images-idx3-ubyte")
            let labels = try find(in: path, name: "\(prefix)-labels-idx1-ubyte")
            return (images, labels, prefix == "t10k" ? "test" : "train")
        case .file:
            let name = DatasetPaths.baseName(of: path)
            guard name.contains("images-idx3") else {
                throw DatasetError(.usage, "\(path): not an IDX images file (its name should contain images-idx3)")
            }
            let labelsName = name.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
            let folder = DatasetPaths.parent(of: path)
            var labels = DatasetPaths.join(folder, labelsName)
            if DatasetPaths.kind(of: labels) != .file {
                let other = labelsName.hasSuffix(".gz") ? String(labelsName.dropLast(3)) : labelsName + ".gz"
                if DatasetPaths.kind(of: DatasetPaths.join(folder, other)) == .file {
                    labels = DatasetPaths.join(folder, other)
                }
            }
            try DatasetPaths.requireFile(labels, what: "the IDX labels for \(name)")
            let split = name.hasPrefix("t10k") ? "test" : name.hasPrefix("train") ? "train" : (spec.split ?? "train")
            return (path, labels, split)
        }
    }

    /// `folder/name`, or `folder/name.gz`.
    private static func find(in folder: String, name: String) throws(DatasetError) -> String {
        for candidate in [name, name + ".gz"] where DatasetPaths.kind(of: DatasetPaths.join(folder, candidate)) == .file
        {
            return DatasetPaths.join(folder, candidate)
        }
        throw DatasetError(.noInput, "\(folder): no \(name) or \(name).gz (expected MNIST-style IDX files)")
    }

    /// The dimension sizes from the header of `file`, after checking its magic number.
    private static func header(of file: String, magic: UInt32, dimensions: Int) throws(DatasetError) -> [Int] {
        let stream = try IDXStream(path: file)
        let bytes = try stream.read(4 + 4 * dimensions)
        guard bytes.count == 4 + 4 * dimensions else {
            throw DatasetError(
                .data, "\(file): truncated: \(bytes.count) bytes, expected a \(4 + 4 * dimensions)-byte IDX header")
        }
        let found = bigEndian(bytes, at: 0)
        guard found == magic else {
            throw DatasetError(
                .data,
                "\(file): bad IDX magic 0x\(hex(found)), expected 0x\(hex(magic))"
                    + " (\(dimensions == 3 ? "images" : "labels"), unsigned bytes)")
        }
        return (0..<dimensions).map { Int(bigEndian(bytes, at: 4 + 4 * $0)) }
    }

    /// Checks that `file` holds at least `expected` bytes: the size of an uncompressed file, the
    /// size the gzip trailer records for a gzipped one (a damaged stream is found while reading).
    private static func checkLength(of file: String, expected: Int64) throws(DatasetError) {
        let size = try DatasetPaths.size(of: file)
        if try IDXStream.isGzip(file) {
            guard size >= 18, let trailer = try? lastBytes(of: file, count: 4) else {
                throw DatasetError(.data, "\(file): truncated gzip file (\(size) bytes)")
            }
            let recorded =
                UInt32(trailer[0]) | UInt32(trailer[1]) << 8 | UInt32(trailer[2]) << 16 | UInt32(trailer[3]) << 24
            let expectedLow = UInt32(truncatingIfNeeded: expected)
            guard recorded == expectedLow || expected > Int64(UInt32.max) else {
                throw DatasetError(
                    .data,
                    "\(file): truncated or damaged: decompresses to \(recorded) bytes (gzip trailer), "
                        + "expected \(expected)")
            }
        } else if size < expected {
            throw DatasetError(.data, "\(file): truncated: \(size) bytes, expected \(expected)")
        }
    }

    private static func lastBytes(of file: String, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end - UInt64(count))
        return [UInt8](try handle.read(upToCount: count) ?? Data())
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
