/// A few large Float arrays kept between training steps and handed out again, so that each
/// step does not allocate (and page-fault in) fresh buffers of the same sizes.
///
/// Arrays are moved in and out, so one taken from the pool is uniquely held and can be written
/// in place. A copy of a struct holding a pool shares the arrays; the first write through
/// either copy then copies the array, so sharing is safe, only slower.
struct ScratchPool: Sendable {
    /// The most arrays kept; the oldest go first.
    static let capacity = 8
    private var arrays: [[Float]] = []

    /// An array of exactly `count` floats whose contents are undefined: one from the pool when
    /// one of that size is there, else a new one.
    mutating func take(_ count: Int) -> [Float] {
        if let index = arrays.firstIndex(where: { $0.count == count }) {
            return arrays.remove(at: index)
        }
        return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Keeps `array` for a later ``take(_:)`` (empty arrays are dropped).
    mutating func give(_ array: [Float]) {
        guard !array.isEmpty else { return }
        arrays.append(array)
        if arrays.count > Self.capacity { arrays.removeFirst() }
    }
}
