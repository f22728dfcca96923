/// One trainable tensor of a projector: its values, its accumulated gradient and whether weight
/// decay applies to it.
///
/// Values and gradients are flat row-major `[Float]` arrays of the same length; ``shape`` says
/// how to read them (PyTorch layout, so a linear weight is `[out, in]`). Names follow PyTorch's
/// `state_dict` keys, for example `norm.weight` or `mlp.0.bias`.
public struct ProjectorParameter: Sendable {
    /// The PyTorch-style key, unique within its module.
    public let name: String
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The current values, row-major.
    public var value: [Float]
    /// The gradient accumulated by backward passes since the last ``zeroGradient()``.
    public var gradient: [Float]
    /// Whether decoupled weight decay applies: true for matrices, false for biases, LayerNorm
    /// parameters and the temperature.
    public let decay: Bool

    /// Creates a parameter holding `value`, with a zero gradient.
    ///
    /// - Precondition: `value.count` equals the product of `shape`.
    public init(name: String, shape: [Int], value: [Float], decay: Bool) {
        precondition(value.count == shape.reduce(1, *), "\(name): shape \(shape) needs \(shape.reduce(1, *)) values, got \(value.count)")
        self.name = name
        self.shape = shape
        self.value = value
        self.gradient = [Float](repeating: 0, count: value.count)
        self.decay = decay
    }

    /// Creates a parameter from values and a gradient already at hand, without allocating.
    init(name: String, shape: [Int], value: [Float], gradient: [Float], decay: Bool) {
        self.name = name
        self.shape = shape
        self.value = value
        self.gradient = gradient
        self.decay = decay
    }

    /// The number of elements.
    public var count: Int { value.count }

    /// Sets every gradient element to zero.
    public mutating func zeroGradient() {
        for index in gradient.indices { gradient[index] = 0 }
    }

    /// Adds `delta` element-wise to the gradient.
    ///
    /// - Precondition: `delta.count` equals ``count``.
    public mutating func accumulateGradient(_ delta: [Float]) {
        precondition(delta.count == gradient.count, "\(name): gradient of \(delta.count) values for \(gradient.count)")
        for index in gradient.indices { gradient[index] += delta[index] }
    }

    /// Returns a copy of this parameter with `prefix` and a dot prepended to its name.
    func prefixed(_ prefix: String) -> ProjectorParameter {
        ProjectorParameter(name: prefix + "." + name, shape: shape, value: value, gradient: gradient, decay: decay)
    }
}

/// A deterministic SplitMix64 generator for reproducible parameter initialisation.
public struct ProjectorRandom: Sendable {
    private var state: UInt64

    /// Creates a generator from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// The value the `offset`-th call of ``next()`` from now would return (offset 0 is the very
    /// next), without advancing: SplitMix64's state moves by a constant, so any draw can be
    /// reached directly, which lets dropout masks be drawn and redrawn in parallel.
    @inline(__always)
    func peek(offset: Int) -> UInt64 {
        var mixed = state &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: offset + 1)
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Advances the generator as `count` calls of ``next()`` would.
    mutating func skip(_ count: Int) {
        state &+= 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: count)
    }

    /// The generator's 64-bit state, for saving a training run: `ProjectorRandom(seed: stateValue)`
    /// continues exactly where this one is.
    public var stateValue: UInt64 { state }

    /// A float uniform in [−bound, bound).
    public mutating func uniform(bound: Float) -> Float {
        (Float(next() >> 40) / Float(1 << 23) - 1) * bound
    }
}
