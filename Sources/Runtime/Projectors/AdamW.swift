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

    /// Applies one update with learning rate `learningRate` to every parameter in place, from
    /// its current gradient. Gradients are left as they are.
    public mutating func update(_ parameters: inout [ProjectorParameter], learningRate: Float) {
        step += 1
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(step))
        for index in parameters.indices {
            let name = parameters[index].name
            var first = firstMoments[name] ?? [Float](repeating: 0, count: parameters[index].count)
            var second = secondMoments[name] ?? [Float](repeating: 0, count: parameters[index].count)
            precondition(first.count == parameters[index].count, "AdamW: parameter \(name) changed size")
            let decayFactor: Float = parameters[index].decay ? 1 - learningRate * weightDecay : 1
            for element in 0..<parameters[index].count {
                let gradient = parameters[index].gradient[element]
                first[element] = beta1 * first[element] + (1 - beta1) * gradient
                second[element] = beta2 * second[element] + (1 - beta2) * gradient * gradient
                let corrected1 = Double(first[element]) / correction1
                let corrected2 = Double(second[element]) / correction2
                let value = parameters[index].value[element] * decayFactor
                parameters[index].value[element] = value - Float(Double(learningRate) * corrected1 / (corrected2.squareRoot() + Double(epsilon)))
            }
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
