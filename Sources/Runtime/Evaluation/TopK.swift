/// The indices of the k largest values of a row, largest first; ties go to the lower index.
struct TopK {
    /// Fills `indices` with the positions of the k largest of `row[0..<count]`.
    ///
    /// One comparison per value against the current k-th best; only values that beat it are
    /// inserted (rare once the list is full).
    static func largest(_ row: UnsafePointer<Float>, count: Int, k: Int, into indices: inout [Int]) {
        indices.removeAll(keepingCapacity: true)
        let k = min(k, count)
        guard k > 0 else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { values in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: k) { positions in
                var filled = 0
                var threshold = -Float.infinity
                for index in 0..<count {
                    let value = row[index]
                    if filled == k && !(value > threshold) { continue }
                    var slot = filled == k ? k - 1 : filled
                    if filled < k { filled += 1 }
                    while slot > 0 && values[slot - 1] < value {
                        values[slot] = values[slot - 1]
                        positions[slot] = positions[slot - 1]
                        slot -= 1
                    }
                    values[slot] = value
                    positions[slot] = index
                    if filled == k { threshold = values[k - 1] }
                }
                for slot in 0..<filled { indices.append(positions[slot]) }
            }
        }
    }
}
