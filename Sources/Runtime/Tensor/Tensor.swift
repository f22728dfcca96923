/// A dense Float32 tensor in contiguous row-major order.
///
/// `Tensor` has value semantics: copies share memory until one of them is written, and
/// only then is the memory duplicated. Reading through ``baseAddress`` never copies, so
/// a tensor held in a `let` can feed BLAS calls directly.
public struct Tensor: Sendable {
    /// The dimensions, outermost first; empty for a scalar.
    public private(set) var shape: [Int]
    private var storage: TensorStorage

    /// The number of elements: the product of ``shape`` (1 for a scalar).
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Creates a tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        storage = TensorStorage(count: Self.elementCount(of: shape), repeating: value)
    }

    /// Creates a tensor of `shape` holding `scalars` in row-major order.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        let count = Self.elementCount(of: shape)
        precondition(
            scalars.count == count,
            "shape \(shape) needs \(count) elements, got \(scalars.count)")
        self.shape = shape
        storage = scalars.withUnsafeBufferPointer { TensorStorage(copying: $0) }
    }

    /// Creates a one-dimensional tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// The elements in row-major order, copied into an array.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// The address of the first element, for reading only.
    ///
    /// The pointer stays valid as long as this tensor, or a copy of it, is alive and not
    /// mutated. Prefer ``withUnsafeBufferPointer(_:)`` outside hot paths.
    public var baseAddress: UnsafePointer<Float> { UnsafePointer(storage.base) }

    /// The size of dimension `axis`; negative axes count from the end.
    public func dimension(_ axis: Int) -> Int {
        shape[axis < 0 ? shape.count + axis : axis]
    }

    /// The element at `indices`, one index per dimension.
    public subscript(_ indices: Int...) -> Float {
        get { storage.base[offset(of: indices)] }
        set {
            let index = offset(of: indices)
            makeUnique()
            storage.base[index] = newValue
        }
    }

    /// The same elements viewed with another shape of equal element count; no copy is made.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            Self.elementCount(of: newShape) == count,
            "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        var view = self
        view.shape = newShape
        return view
    }

    /// Calls `body` with the elements in row-major order.
    public func withUnsafeBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<Float>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try withExtendedLifetime(storage) { () throws(Failure) -> Result in
            try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
        }
    }

    /// Calls `body` with the elements for writing, first copying them if they are shared.
    public mutating func withUnsafeMutableBufferPointer<Result, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        makeUnique()
        let storage = self.storage
        return try withExtendedLifetime(storage) { () throws(Failure) -> Result in
            try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
        }
    }

    /// `[rows, width]` from the rows of `parts` (each `[_, width]`) in order.
    ///
    /// - Precondition: the parts hold `rows · width` elements together.
    public static func stackingRows(_ parts: [Tensor], rows: Int, width: Int) -> Tensor {
        var scalars: [Float] = []
        scalars.reserveCapacity(rows * width)
        for part in parts { scalars += part.scalars }
        return Tensor(shape: [rows, width], scalars: scalars)
    }

    /// The product of `shape`, checking that no dimension is negative.
    static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1) { product, dimension in
            precondition(dimension >= 0, "tensor dimensions cannot be negative: \(shape)")
            return product * dimension
        }
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = TensorStorage(
                copying: UnsafeBufferPointer(start: storage.base, count: storage.count))
        }
    }

    private func offset(of indices: [Int]) -> Int {
        precondition(
            indices.count == shape.count,
            "\(indices.count) indices for a tensor of rank \(shape.count)")
        var offset = 0
        for (index, dimension) in zip(indices, shape) {
            precondition(index >= 0 && index < dimension, "index \(indices) out of range for \(shape)")
            offset = offset * dimension + index
        }
        return offset
    }
}

extension Tensor: Equatable {
    /// Two tensors are equal when their shapes and all their elements are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return true }
        for index in 0..<lhs.count where lhs.storage.base[index] != rhs.storage.base[index] {
            return false
        }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight elements.
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
