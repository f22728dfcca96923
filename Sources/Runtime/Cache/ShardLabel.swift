import Foundation

/// Shard labels `sKofN` in segment and marker names, and the segment name's parts.
public enum ShardLabel {
    /// `sKofN`.
    public static func make(index: Int, count: Int) -> String { "s\(index)of\(count)" }

    /// `(K, N)` of `sKofN`, or nil when `label` is not a shard label.
    public static func parse(_ label: String) -> (index: Int, count: Int)? {
        guard label.hasPrefix("s"), let split = label.range(of: "of") else { return nil }
        guard let index = Int(label[label.index(after: label.startIndex)..<split.lowerBound]),
              let count = Int(label[split.upperBound...]), count >= 1, index >= 0, index < count
        else { return nil }
        return (index, count)
    }

    /// The writer label of a segment file name `seg-LABEL-RUN-NNNNN.safetensors`, or nil.
    public static func segmentLabel(_ name: String) -> String? {
        guard name.hasPrefix("seg-"), name.hasSuffix(".safetensors") else { return nil }
        let parts = name.dropFirst(4).dropLast(12).split(separator: "-")
        guard parts.count >= 3 else { return nil }
        return parts.dropLast(2).joined(separator: "-")
    }
}
