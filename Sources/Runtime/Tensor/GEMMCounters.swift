import Foundation

/// Time and work spent in SGEMM (OpenBLAS's, and ``PackedLinear``'s kernel) while enabled, for benchmarks that report the GEMM share of a
/// run and its GFLOP/s. Off by default (then a GEMM pays one branch).
public enum GEMMCounters {
    private static let state = CounterState()

    /// Whether ``BLAS/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` records.
    public static var isEnabled: Bool { state.enabled }

    /// Zeroes the counters and starts recording.
    public static func start() { state.reset(enabled: true) }

    /// Stops recording and returns the totals since ``start()``: wall nanoseconds inside SGEMM
    /// calls (summed over calling threads) and floating-point operations.
    public static func stop() -> (nanoseconds: UInt64, flops: Int) { state.stop() }

    static func record(nanoseconds: UInt64, flops: Int) { state.add(nanoseconds, flops) }

    /// Runs `body`, a GEMM of `flops` operations, and records its time when enabled.
    @inline(__always)
    static func measure<Result>(flops: Int, _ body: () -> Result) -> Result {
        guard isEnabled else { return body() }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { record(nanoseconds: DispatchTime.now().uptimeNanoseconds - started, flops: flops) }
        return body()
    }
}

/// The lock-protected totals; the lock makes them safe to update from several threads.
private final class CounterState: @unchecked Sendable {
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 0
    private var flops = 0
    private var isOn = false

    var enabled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return isOn
    }

    func reset(enabled: Bool) {
        lock.lock()
        defer { lock.unlock() }
        nanoseconds = 0
        flops = 0
        isOn = enabled
    }

    func add(_ time: UInt64, _ work: Int) {
        lock.lock()
        defer { lock.unlock() }
        nanoseconds &+= time
        flops &+= work
    }

    func stop() -> (nanoseconds: UInt64, flops: Int) {
        lock.lock()
        defer { lock.unlock() }
        isOn = false
        return (nanoseconds, flops)
    }
}
