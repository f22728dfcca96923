import Foundation
import Registry
import Runtime

/// Where the embedding caches of a zoo home live and how they are keyed.
///
/// An image cache is keyed by the encoder's checkpoint digest, its preprocessing settings and
/// the dataset's location (format, path, split); inside, entries are keyed by item id. A text
/// cache is keyed by the encoder's checkpoint digest alone and holds captions by their text, so
/// datasets that share captions share entries. Both keys also hold whether token states are
/// kept and the dtype.
public enum EmbeddingCaches {
    /// The image cache folder for `encoder` over `dataset`.
    public static func imageFolder(home: ZooHome, encoder: EncoderEntry, dataset: DatasetRecord, tokens: Bool, dtype: EmbeddingDType) -> URL {
        let key = [
            "image", encoder.checkpoint.digest, encoder.record.preprocessing ?? "", dataset.format, dataset.path,
            dataset.split ?? "", tokens ? "tokens" : "pooled", dtype.rawValue,
        ].joined(separator: "\n")
        return home.embeddingCacheURL.appendingPathComponent("image-" + ContentHash.sha256(key).prefix(24))
    }

    /// The text cache folder for `encoder`.
    public static func textFolder(home: ZooHome, encoder: EncoderEntry, tokens: Bool, dtype: EmbeddingDType) -> URL {
        let key = ["text", encoder.checkpoint.digest, tokens ? "tokens" : "pooled", dtype.rawValue].joined(separator: "\n")
        return home.embeddingCacheURL.appendingPathComponent("text-" + ContentHash.sha256(key).prefix(24))
    }

    /// The cache in `folder`, or nil when none was built there.
    public static func open(_ folder: URL) throws -> EmbeddingCache? {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(EmbeddingCache.manifestName).path) else { return nil }
        return try EmbeddingCache(folder: folder)
    }
}

