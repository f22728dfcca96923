import Foundation

/// AdamW (Loshchilov & Hutter) as PyTorch's `torch.optim.AdamW`: decoupled weight decay and
/// bias-corrected first and second moments.
///
/// Each step, for every parameter p with gradient g, at step t (from 1):
/// p ← p − lr·λ·p (only when the parameter's `decay` is true), m ← β₁m + (1−β₁)g,
/// v ← β₂v + (1−β₂)g², p ← p − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
/// Moments are kept per parameter name.
public struct AdamW: Sendable {
    /// β₁, the first-moment decay.
    public var beta1: Float
    /// β₂, the second-moment decay.
    public var beta2: Float
    /// ε, added to the bias-corrected root second moment.
    public var epsilon: Float
    /// λ, the decoupled weight-decay coefficient (the paper uses 0.02).
    public var weightDecay: Float
    /// The number of steps taken so far.
    public private(set) var step: Int = 0
    private var firstMoments: [String: [Float]] = [:]
    private var secondMoments: [String: [Float]] = [:]

    /// Creates an optimiser; the defaults are PyTorch's except for the paper's weight decay.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.02) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Creates an optimiser that continues from `state` (saved through ``state``), so that
    /// resuming gives bit-identical updates.
    public init(state: AdamWState, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.02) {
        self.init(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        self.state = state
    }

    /// The step count and the moments of every parameter updated so far, by name.
    ///
    /// - Precondition (setting): every name has both moments, of equal length.
    public var state: AdamWState {
        get { AdamWState(step: step, firstMoments: firstMoments, secondMoments: secondMoments) }
        set {
            precondition(newValue.step >= 0, "AdamW: negative step \(newValue.step)")
            precondition(Set(newValue.firstMoments.keys) == Set(newValue.secondMoments.keys), "AdamW: first and second moments name different parameters")
            for (name, first) in newValue.firstMoments {
                precondition(newValue.secondMoments[name]?.count == first.count, "AdamW: moments of \(name) differ in length")
            }
            step = newValue.step
            firstMoments = newValue.firstMoments
            secondMoments = newValue.secondMoments
        }
    }

    /// Applies one update with learning rate `learningRate` to every parameter in place, from
    /// its current gradient. Gradients are left as they are.
    ///
    /// The arithmetic follows PyTorch's single-tensor AdamW step in Float: m ← m + (1−β₁)(g − m)
    /// (`lerp`), v ← β₂v + (1−β₂)g², p ← p·(1 − lr·λ), p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε),
    /// with the bias corrections computed once per step in Double.
    public mutating func update(_ parameters: inout [ProjectorParameter], learningRate: Float) {
        step += 1
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) / correction1)
        let correction2Root = Float(correction2.squareRoot())
        for index in parameters.indices {
            let name = parameters[index].name
            let count = parameters[index].count
            // Moved out of the dictionaries so they are uniquely held and change in place.
            var first = firstMoments.removeValue(forKey: name) ?? [Float](repeating: 0, count: count)
            var second = secondMoments.removeValue(forKey: name) ?? [Float](repeating: 0, count: count)
            precondition(first.count == count && second.count == count, "AdamW: parameter \(name) changed size")
            precondition(parameters[index].gradient.count == count, "AdamW: parameter \(name) has \(parameters[index].gradient.count) gradients for \(count) values")
            let decayFactor: Float = parameters[index].decay ? 1 - learningRate * weightDecay : 1
            let gradient = parameters[index].gradient
            ProjectorKernels.adamWUpdate(
                &parameters[index].value, first: &first, second: &second, gradient: gradient,
                beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: stepSize, correction2Root: correction2Root,
                decayFactor: decayFactor)
            firstMoments[name] = first
            secondMoments[name] = second
        }
    }
}

/// A learning rate with linear warm-up then cosine decay, as in the paper's training: from
/// ``startRate`` to ``peakRate`` over ``warmupSteps``, then a half cosine down to ``finalRate``
/// at ``totalSteps``, constant after.
public struct LearningRateSchedule: Sendable {
    /// The rate at step 0.
    public var startRate: Float
    /// The rate at the end of warm-up.
    public var peakRate: Float
    /// The rate at ``totalSteps`` and after.
    public var finalRate: Float
    /// The number of warm-up steps.
    public var warmupSteps: Int
    /// The step at which the cosine reaches ``finalRate``.
    public var totalSteps: Int

    /// Creates a schedule; the defaults are the paper's rates (1e-5 → 1e-3 → 1e-5, 1,000 warm-up
    /// steps).
    public init(startRate: Float = 1e-5, peakRate: Float = 1e-3, finalRate: Float = 1e-5, warmupSteps: Int = 1000, totalSteps: Int) {
        self.startRate = startRate
        self.peakRate = peakRate
        self.finalRate = finalRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The learning rate at `step` (from 0).
    public func rate(at step: Int) -> Float {
        if step < warmupSteps {
            return startRate + (peakRate - startRate) * Float(step) / Float(warmupSteps)
        }
        let span = totalSteps - warmupSteps
        guard span > 0 else { return finalRate }
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        return finalRate + Float(Double(peakRate - finalRate) * cosine)
    }
}
