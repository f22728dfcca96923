/// The heap memory behind a ``Tensor``: a fixed number of `Float`s at a stable address.
///
/// The address never moves while the object lives, so hot loops can hold a raw pointer to it
/// without re-entering closures. ``Tensor`` copies the storage before writing when it is shared,
/// so a storage that more than one tensor refers to is never written through them.
final class TensorStorage: @unchecked Sendable {
    /// The first element; valid for `count` elements while the object lives.
    let base: UnsafeMutablePointer<Float>
    /// The number of elements.
    let count: Int

    /// Allocates `count` elements, all set to `value`.
    init(count: Int, repeating value: Float) {
        precondition(count >= 0, "a tensor cannot have a negative element count")
        self.count = count
        base = CacheLineMemory.floats(count)
        base.initialize(repeating: value, count: count)
    }

    /// Allocates storage holding a copy of `elements`.
    init(copying elements: UnsafeBufferPointer<Float>) {
        count = elements.count
        base = CacheLineMemory.floats(count)
        if let source = elements.baseAddress {
            base.initialize(from: source, count: count)
        }
    }

    deinit {
        base.deallocate()
    }
}
