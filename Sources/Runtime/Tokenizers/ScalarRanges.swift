/// A sorted set of inclusive code point ranges, searched by bisection.
struct ScalarRanges: Sendable {
    /// Flat `start, end` pairs, sorted and disjoint.
    private let bounds: [UInt32]

    /// Makes a table from flat inclusive `start, end` pairs in ascending order.
    init(_ bounds: [UInt32]) {
        precondition(bounds.count % 2 == 0, "ScalarRanges needs start, end pairs")
        self.bounds = bounds
    }

    /// Whether `value` lies in one of the ranges.
    func contains(_ value: UInt32) -> Bool {
        var low = 0
        var high = bounds.count / 2
        while low < high {
            let middle = (low + high) / 2
            if bounds[2 * middle + 1] < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < bounds.count / 2 && bounds[2 * low] <= value
    }
}
