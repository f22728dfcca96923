/// Stacking cached rows into one ``Tensor``: the inputs of training steps and of projection.
extension EmbeddingCache {
    /// The pooled rows at `locations`, in order: `[locations.count, pooledWidth]`.
    public func gatherPooled(_ locations: some Collection<Location>) -> Tensor {
        let width = layout.pooledWidth
        var result = Tensor(shape: [locations.count, width])
        result.withUnsafeMutableBufferPointer { buffer in
            for (row, location) in locations.enumerated() {
                copyPooled(location, to: buffer.baseAddress! + row * width)
            }
        }
        return result
    }

    /// The token states at `locations`, packed in order: `[Σ tokenCount, tokenWidth]`.
    ///
    /// - Precondition: the cache keeps token states.
    public func gatherTokens(_ locations: some Collection<Location>) -> Tensor {
        let width = layout.tokenWidth
        let rows = locations.reduce(0) { $0 + $1.tokenCount }
        var result = Tensor(shape: [rows, width])
        result.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for location in locations {
                copyTokens(location, to: buffer.baseAddress! + offset * width)
                offset += location.tokenCount
            }
        }
        return result
    }
}
