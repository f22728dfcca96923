import Foundation
import Registry
import Runtime

/// `zoo embed`'s use-case: fill one encoder's embedding cache over a catalogued dataset (its
/// images for a vision encoder; its captions, or a classification dataset's prompts, for a
/// text encoder). Only items not cached yet are encoded.
public enum DatasetEmbedding {
    /// What a fill left behind.
    public struct Outcome: Sendable {
        /// The encoder's name.
        public var encoder: String
        /// The dataset's name.
        public var dataset: String
        /// The cache, complete for the shard.
        public var cache: EmbeddingCache
        /// Items encoded by this call (0 when all were cached).
        public var encoded: Int
    }

    /// Fills the cache of `encoder` over `dataset` with `settings` (tokens, dtype, shard, batch).
    ///
    /// - Throws: ``ZooError`` for unknown names (66), or the reportable error of the dataset,
    ///   image or cache layer.
    public static func run(zoo: ModelZoo, encoder: String, dataset: String, settings: Embedding.Settings) throws -> Outcome {
        let entry = try zoo.catalog.encoder(named: encoder)
        let record = try zoo.catalog.dataset(named: dataset)
        let reader = try DatasetOpening.reader(record)
        let contents = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
        switch entry.record.modality {
        case .vision:
            let (cache, encoded, _) = try Embedding.images(
                zoo: zoo, encoder: entry, dataset: record, reader: reader, contents: contents, settings: settings)
            return Outcome(encoder: entry.name, dataset: record.name, cache: cache, encoded: encoded)
        case .text:
            let texts = Embedding.texts(of: contents, reader: reader, task: record.task)
            let (cache, encoded) = try Embedding.texts(zoo: zoo, encoder: entry, texts: texts, settings: settings, label: "'\(record.name)'")
            return Outcome(encoder: entry.name, dataset: record.name, cache: cache, encoded: encoded)
        }
    }
}
