import COpenBLAS
import Foundation

/// How many threads tensor math uses, shared by OpenBLAS and zoo's own loops.
///
/// GEMMs run on OpenBLAS's thread pool; element-wise loops, normalisation and attention split
/// their rows over the same number of Dispatch workers, but only between GEMMs, so the two
/// never run at once and the machine is not oversubscribed. While a parallel loop itself calls
/// BLAS (per-sequence attention), OpenBLAS is switched to one thread for that stretch.
public enum ComputeThreads {
    private static let state = ThreadCountState()

    /// The number of threads in use: OpenBLAS's thread count when zoo started, unless ``set(_:)``
    /// changed it (OpenBLAS reads `OPENBLAS_NUM_THREADS`, defaulting to the number of cores).
    public static var count: Int { state.configured }

    /// Uses `threads` threads (at least 1) from now on, for OpenBLAS and for zoo's own loops.
    public static func set(_ threads: Int) {
        state.configure(max(1, threads))
    }

    /// True while some caller holds OpenBLAS at one thread (inside ``withSingleThreadedBLAS(_:)``):
    /// the work is then already spread over threads at a coarser grain, so ``ParallelRows``
    /// runs its loops on the calling thread instead of nesting more workers.
    public static var isInsideParallelRegion: Bool { state.hasSingleThreadedUsers }

    /// Runs `body` with OpenBLAS limited to one thread, so `body` may call BLAS from several
    /// Dispatch workers without nesting thread pools. Nested and concurrent uses are counted;
    /// the configured count returns when the last one ends.
    public static func withSingleThreadedBLAS<Result>(_ body: () throws -> Result) rethrows -> Result {
        state.enterSingleThreaded()
        defer { state.leaveSingleThreaded() }
        return try body()
    }
}

/// The lock-protected thread count and the number of callers that asked for one BLAS thread.
private final class ThreadCountState: @unchecked Sendable {
    private let lock = NSLock()
    private var threads: Int?
    private var singleThreadedUsers = 0

    var configured: Int {
        lock.lock()
        defer { lock.unlock() }
        return resolvedThreads()
    }

    func configure(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        threads = count
        if singleThreadedUsers == 0 {
            openblas_set_num_threads(Int32(count))
        }
    }

    var hasSingleThreadedUsers: Bool {
        lock.lock()
        defer { lock.unlock() }
        return singleThreadedUsers > 0
    }

    func enterSingleThreaded() {
        lock.lock()
        defer { lock.unlock() }
        _ = resolvedThreads()
        singleThreadedUsers += 1
        if singleThreadedUsers == 1 {
            openblas_set_num_threads(1)
        }
    }

    func leaveSingleThreaded() {
        lock.lock()
        defer { lock.unlock() }
        singleThreadedUsers -= 1
        if singleThreadedUsers == 0 {
            openblas_set_num_threads(Int32(resolvedThreads()))
        }
    }

    /// The configured count, read from OpenBLAS the first time; call with the lock held.
    private func resolvedThreads() -> Int {
        if let threads { return threads }
        let initial = max(1, Int(openblas_get_num_threads()))
        threads = initial
        return initial
    }
}

/// Splits loops over rows across ``ComputeThreads/count`` Dispatch workers.
///
/// Use it only between BLAS calls: `body` must not call multi-threaded BLAS itself.
public enum ParallelRows {
    /// Calls `body` on contiguous, disjoint ranges covering `0..<count`, in parallel when the
    /// work is large enough. `costPerRow` estimates the elements each row touches; below about
    /// 32k elements in total the loop runs on the calling thread.
    public static func forEach(count: Int, costPerRow: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = min(ComputeThreads.count, count)
        if workers <= 1 || count * max(costPerRow, 1) < 32_768 || ComputeThreads.isInsideParallelRegion {
            body(0..<count)
            return
        }
        run(workers: workers) { worker in
            let start = count * worker / workers
            let end = count * (worker + 1) / workers
            if start < end { body(start..<end) }
        }
    }

    /// How many workers a loop over `items` independent items should use with ``run(workers:_:)``:
    /// ``ComputeThreads/count`` (at most `items`), or 1 inside a parallel region, where the
    /// loop then runs in order on the calling thread. (Dispatch would serialise a nested loop
    /// too, but worker by worker: a strided order over the items.)
    public static func workers(for items: Int) -> Int {
        ComputeThreads.isInsideParallelRegion ? 1 : max(1, min(ComputeThreads.count, items))
    }

    /// Calls `body(worker)` for every worker in `0..<workers` on Dispatch's pool and waits.
    ///
    /// `concurrentPerform` wants a `@Sendable` closure, but it returns only after every call
    /// ends, so `body` and what it captures (often raw pointers into buffers the caller owns)
    /// never outlive this call; the caller keeps the workers' writes disjoint.
    public static func run(workers: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let shared = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
        }
    }
}
