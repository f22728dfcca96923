/// The indices of the k largest values of a row, largest first; ties go to the lower index.
struct TopK {
    /// Fills `indices` (capacity k) with the positions of the k largest of `row[0..<count]`.
    static func largest(_ row: UnsafePointer<Float>, count: Int, k: Int, into indices: inout [Int]) {
        indices.removeAll(keepingCapacity: true)
        var values: [Float] = []
        values.reserveCapacity(k)
        for index in 0..<count {
            let value = row[index]
            if values.count == k {
                guard value > values[k - 1] else { continue }
                values.removeLast()
                indices.removeLast()
            }
            var position = values.count
            while position > 0 && values[position - 1] < value { position -= 1 }
            values.insert(value, at: position)
            indices.insert(index, at: position)
        }
    }
}
