/// Why CKA cannot be computed for a pair of feature sets.
public struct CKAError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// A feature set has fewer than two rows (centring leaves nothing).
        case tooFewSamples(input: String, count: Int)
        /// The two feature sets do not describe the same number of samples.
        case countMismatch(first: String, firstCount: Int, second: String, secondCount: Int)
        /// A value is NaN or infinite.
        case nonFinite(input: String, row: Int, column: Int, value: Float)
        /// Every row is the same, so the centred kernel is zero and CKA is undefined.
        case constant(input: String)
    }

    /// What went wrong.
    public let reason: Reason

    /// Creates an error.
    public init(_ reason: Reason) { self.reason = reason }

    public var description: String {
        switch reason {
        case .tooFewSamples(let input, let count):
            return "\(input) has \(count) sample\(count == 1 ? "" : "s"); CKA needs at least 2"
        case .countMismatch(let first, let firstCount, let second, let secondCount):
            return "\(first) has \(firstCount) samples but \(second) has \(secondCount); CKA compares features of the same samples"
        case .nonFinite(let input, let row, let column, let value):
            return "\(input) has \(value) at row \(row), column \(column); features must be finite"
        case .constant(let input):
            return "every row of \(input) is the same, so its centred kernel is zero and CKA is undefined"
        }
    }
}

extension CKAError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        .data
    }
}
