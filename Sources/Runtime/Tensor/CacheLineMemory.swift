/// Float buffers that start on a 64-byte cache line.
///
/// `UnsafeMutablePointer.allocate(capacity:)` aligns to 16 bytes only (large blocks come back 16
/// bytes past a page boundary), so with rows a whole number of 64-byte lines wide every 16-float
/// vector load or store of the kernels would straddle two lines. Tensors, packed weights and the
/// encoders' scratch buffers are allocated here instead.
public enum CacheLineMemory {
    /// Uninitialised memory for `count` floats (at least one), aligned to 64 bytes; release it
    /// with `deallocate()`.
    public static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let count = max(count, 1)
        return UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }
}
