/// What a safetensors header says about one tensor.
public struct TensorInfo: Sendable, Hashable {
    /// The tensor's name (its key in the header).
    public let name: String
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first; empty for a scalar.
    public let shape: [Int]
    /// The number of elements: the product of `shape` (1 for a scalar).
    public let elementCount: Int
    /// The tensor's bytes within the data buffer (the header's `data_offsets`), counted from
    /// the first byte after the header.
    public let byteRange: Range<Int>

    /// Creates a description of one tensor; the reader builds these after validating the header.
    public init(name: String, dtype: DType, shape: [Int], elementCount: Int, byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.elementCount = elementCount
        self.byteRange = byteRange
    }
}
