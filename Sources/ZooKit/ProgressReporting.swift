/// What a long use-case (filling a cache, training, curating) tells its caller as it goes: a
/// terminal draws a bar, a server or a test stays silent.
public protocol ProgressReporter: AnyObject {
    /// `done` items after `seconds`, with `extra` text (loss, learning rate, …).
    func update(done: Int, seconds: Double, extra: String)
    /// The task ended; `summary` is one line saying what it did.
    func finish(_ summary: String)
}

/// Makes the reporter of one task from its label, its total (nil when unknown) and the unit of
/// its items.
public typealias ProgressFactory = @Sendable (_ label: String, _ total: Int?, _ unit: String) -> any ProgressReporter

/// Reporters every caller can use.
public enum Progress {
    /// A factory of reporters that report nothing.
    public static let silent: ProgressFactory = { _, _, _ in SilentProgress() }
}

/// A reporter that ignores everything.
public final class SilentProgress: ProgressReporter {
    public init() {}
    public func update(done: Int, seconds: Double, extra: String) {}
    public func finish(_ summary: String) {}
}
