import Foundation
import GRDB

extension Catalog {
    /// Records a merged embedding cache, replacing the row of the same folder, and the
    /// dataset's item count (`datasetItems`) and id digest, in one transaction.
    @discardableResult
    public func recordEmbeddingCache(_ cache: EmbeddingCacheRecord, datasetItems: Int) throws -> EmbeddingCacheRecord {
        try write { db in
            try db.execute(sql: "DELETE FROM embedding_cache WHERE folder = ?", arguments: [cache.folder])
            var row = cache
            row.id = nil
            try row.insert(db)
            try db.execute(sql: "UPDATE dataset SET item_count = ?, ids_digest = ? WHERE id = ?",
                           arguments: [datasetItems, cache.idsDigest, cache.datasetId])
            return row
        }
    }

    /// The merged cache recorded for `folder`, if any.
    public func embeddingCache(folder: String) throws -> EmbeddingCacheRecord? {
        try read { db in
            try EmbeddingCacheRecord.filter(Column("folder") == folder).fetchOne(db)
        }
    }
}
