/// Yields the items of a dataset one at a time, in the reader's stable order.
///
/// After ``next()`` throws, the iterator is finished: later calls return `nil`.
public protocol DatasetIterator: AnyObject {
    /// The next item, or `nil` at the end.
    func next() throws(DatasetError) -> DatasetItem?
    /// How many bad samples (or, for a damaged tar shard, rests of shards) were skipped so far
    /// because the spec has ``DatasetSpec/skipBad``.
    var skippedCount: Int { get }
    /// Why samples were skipped: the first 100 messages.
    var skipReasons: [String] { get }
}

extension DatasetIterator {
    /// None by default.
    public var skippedCount: Int { 0 }
    /// None by default.
    public var skipReasons: [String] { [] }
}
