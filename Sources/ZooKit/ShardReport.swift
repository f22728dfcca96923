import Foundation

/// What `zoo cache status` finds in a sharded embedding cache folder.
public struct ShardReport: Sendable {
    /// A problem with one shard or one file.
    public struct Problem: Sendable, Equatable {
        /// The shard it concerns, when it concerns one.
        public var shard: Int?
        /// The file it concerns.
        public var file: String
        /// What is wrong and what to do.
        public var detail: String
    }

    /// The encoder's name.
    public var encoder: String
    /// The dataset's name.
    public var dataset: String
    /// The cache folder.
    public var folder: URL
    /// The shard count N.
    public var shards: Int
    /// Items in the dataset.
    public var datasetItems: Int
    /// Shards whose marker and segments check out, ascending.
    public var done: [Int]
    /// Shards without a marker, ascending.
    public var missing: [Int]
    /// Markers whose segments are absent or whose bytes differ.
    public var corrupt: [Problem]
    /// Markers and segments computed with another encoder checkpoint or dataset version.
    public var foreign: [Problem]
    /// Items of the shards not done.
    public var itemsMissing: Int
    /// Items in the done shards' markers.
    public var itemsDone: Int
    /// Whether `zoo cache merge` has compacted the cache (`merged.json` checks out).
    public var merged: Bool

    /// Shards to run again: missing, corrupt or foreign, ascending.
    public var resubmit: [Int] {
        Array(Set(missing + corrupt.compactMap(\.shard) + foreign.compactMap(\.shard))).sorted()
    }

    /// Whether every shard is done and nothing is corrupt or foreign.
    public var complete: Bool { missing.isEmpty && corrupt.isEmpty && foreign.isEmpty }

    /// `shards` as a Slurm `--array` list: runs of consecutive numbers as ranges, e.g. `3,7-9`.
    public static func arrayList(_ shards: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        let sorted = Array(Set(shards)).sorted()
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// Items of shard `index` of `count` over `total` items (item i belongs to shard i mod N).
    public static func items(inShard index: Int, of count: Int, total: Int) -> Int {
        total / count + (index < total % count ? 1 : 0)
    }
}
