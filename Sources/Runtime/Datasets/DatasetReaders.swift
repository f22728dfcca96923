/// Opens datasets by spec.
public enum DatasetReaders {
    /// A reader for `spec`: ``WebDatasetReader``, ``ImageFolderReader``, ``JSONLinesReader`` or
    /// ``IDXReader`` by ``DatasetSpec/format``.
    ///
    /// Opening checks the layout (and, where cheap, the first sample) but reads no images. A
    /// relative or empty path is a usage error; a missing path or an empty dataset is
    /// ``DatasetError/Kind/noInput``; an unreadable file is ``DatasetError/Kind/io``.
    public static func open(_ spec: DatasetSpec) throws(DatasetError) -> any DatasetReader {
        guard spec.path.hasPrefix("/") else {
            throw DatasetError(.usage, "\"\(spec.path)\": the dataset path must be absolute")
        }
        switch spec.format {
        case .wds: return try WebDatasetReader(spec: spec)
        case .imagefolder: return try ImageFolderReader(spec: spec)
        case .jsonl: return try JSONLinesReader(spec: spec)
        case .idx: return try IDXReader(spec: spec)
        }
    }
}
