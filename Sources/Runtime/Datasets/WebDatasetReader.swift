import Foundation

/// Reads WebDataset tar shards (``DatasetFormat/wds``).
///
/// The path is one of:
/// - a CLIP_benchmark folder: `PATH/SPLIT/nshards.txt` (an integer N) and `PATH/SPLIT/0.tar` …
///   `PATH/SPLIT/{N-1}.tar`, with `PATH/classnames.txt` and
///   `PATH/zeroshot_classification_templates.txt`; the split defaults to `test`. Here a `.txt`
///   member holds one caption per line (CLIP_benchmark's retrieval sets);
/// - a brace pattern such as `/data/pairs-{00000..00123}.tar` (see ``BraceExpansion``);
/// - a single tar file;
/// - a folder of `*.tar` files (or its `SPLIT` sub-folder when the split is given), in byte order.
///
/// Consecutive members with the same key (the path up to the first dot of the file name) form a
/// sample: `.jpg`/`.jpeg`/`.png`/`.webp` is the image (``ImagePayload/encoded(bytes:name:)``, named
/// `SHARD:KEY.EXT`), `.cls` an integer label, `.txt` the caption; other members are ignored. The
/// item id is `SHARDFILENAME/KEY`, for example `0.tar/s0000042`.
public struct WebDatasetReader: DatasetReader {
    /// The name of the file giving the shard count in a CLIP_benchmark split folder.
    public static let shardCountFileName = "nshards.txt"

    /// The spec the reader was opened with.
    public let spec: DatasetSpec
    /// The class names, by label, or `nil`.
    public let classNames: [String]?
    /// The caption templates (each with `{c}`), or `nil`.
    public let templates: [String]?
    /// The task the first sample suggests.
    public let defaultTask: DatasetTask
    /// The shard files, in reading order.
    public let shards: [String]
    /// Whether the path is a CLIP_benchmark folder (then `.txt` members hold one caption per line).
    public let isBenchmarkLayout: Bool

    private let metadata: ClassMetadata

    /// Resolves the shards and loads the class names and templates; peeks at the first sample to
    /// choose ``defaultTask``.
    init(spec: DatasetSpec) throws(DatasetError) {
        self.spec = spec
        let layout = try Self.resolveShards(spec)
        shards = layout.shards
        isBenchmarkLayout = layout.benchmark
        metadata = try ClassMetadata.load(spec: spec, folder: layout.metadataFolder)
        classNames = metadata.classNames
        templates = metadata.templates
        let first = Self.peek(shards: shards, benchmark: layout.benchmark, metadata: metadata)
        if let first, !first.captions.isEmpty {
            defaultTask = layout.benchmark ? .retrieval : .pairs
        } else if first?.label != nil || metadata.classNames != nil {
            defaultTask = .classification
        } else {
            defaultTask = .pairs
        }
    }

    /// A new iterator from the first item.
    public func makeIterator() throws(DatasetError) -> any DatasetIterator {
        makeWebDatasetIterator()
    }

    /// A new iterator with its concrete type (for ``WebDatasetIterator/bytesConsumed``).
    func makeWebDatasetIterator() -> WebDatasetIterator {
        WebDatasetIterator(
            shards: shards, datasetPath: spec.path, captionLines: isBenchmarkLayout, metadata: metadata,
            skipBad: spec.skipBad)
    }

    /// The first sample, or `nil` when there is none or it cannot be read (iteration reports why).
    private static func peek(shards: [String], benchmark: Bool, metadata: ClassMetadata) -> DatasetItem? {
        guard let first = shards.first else { return nil }
        let iterator = WebDatasetIterator(
            shards: [first], datasetPath: first, captionLines: benchmark, metadata: ClassMetadata(), skipBad: true)
        return try? iterator.next()
    }

    private static func resolveShards(
        _ spec: DatasetSpec
    ) throws(DatasetError) -> (shards: [String], benchmark: Bool, metadataFolder: String) {
        let path = spec.path
        if BraceExpansion.hasBraces(path) {
            let shards = try BraceExpansion.expand(path)
            try requireShards(shards, pattern: path)
            return (shards, false, DatasetPaths.parent(of: shards[0]))
        }
        switch DatasetPaths.kind(of: path) {
        case .missing:
            throw DatasetError(.noInput, "\(path): no such file or folder (expected WebDataset .tar shards)")
        case .file:
            return ([path], false, DatasetPaths.parent(of: path))
        case .directory:
            let split = spec.split ?? "test"
            let splitFolder = DatasetPaths.join(path, split)
            let countFile = DatasetPaths.join(splitFolder, shardCountFileName)
            if DatasetPaths.kind(of: countFile) == .file {
                let count = try shardCount(countFile)
                let shards = (0..<count).map { DatasetPaths.join(splitFolder, "\($0).tar") }
                try requireShards(shards, pattern: countFile)
                return (shards, true, path)
            }
            if DatasetPaths.kind(of: splitFolder) == .directory {
                let shards = try tarFiles(in: splitFolder)
                if !shards.isEmpty { return (shards, false, path) }
            } else if spec.split != nil {
                throw DatasetError(
                    .noInput, "\(splitFolder): no such split folder (expected \(shardCountFileName) and .tar shards)")
            }
            let shards = try tarFiles(in: path)
            guard !shards.isEmpty else {
                throw DatasetError(
                    .noInput,
                    "\(path): no .tar shards (expected \(split)/\(shardCountFileName) with \(split)/0.tar…, "
                        + "or *.tar files)")
            }
            return (shards, false, path)
        }
    }

    private static func tarFiles(in folder: String) throws(DatasetError) -> [String] {
        try DatasetPaths.contents(of: folder)
            .filter { $0.hasSuffix(".tar") }
            .map { DatasetPaths.join(folder, $0) }
            .filter { DatasetPaths.kind(of: $0) == .file }
    }

    private static func shardCount(_ file: String) throws(DatasetError) -> Int {
        let bytes = try DatasetPaths.readSmallFile(file, what: "the number of shards")
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let count = Int(text), count > 0 else {
            throw DatasetError(.data, "\(file): \"\(text.prefix(40))\" is not a positive shard count")
        }
        return count
    }

    private static func requireShards(_ shards: [String], pattern: String) throws(DatasetError) {
        let missing = shards.filter { DatasetPaths.kind(of: $0) != .file }
        guard let first = missing.first else { return }
        throw DatasetError(
            .noInput, "\(pattern): \(missing.count) of \(shards.count) shards missing, the first \(first)")
    }
}
