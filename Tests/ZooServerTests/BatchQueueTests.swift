import Foundation
import Testing
import Hummingbird
@testable import ZooServer

/// The dynamic batching queue with a compute step slow enough to see it work.
@Suite("Batch queue")
struct BatchQueueTests {
    /// Records the batches it is given; every batch waits until the test opens the gate, so
    /// the queue's state while a batch runs does not depend on the machine's speed.
    final class Recorder: @unchecked Sendable {
        private let lock = NSCondition()
        private var sizes: [Int] = []
        private var open = false

        func compute(_ items: [Int]) -> [[Float]] {
            lock.lock()
            sizes.append(items.count)
            lock.broadcast()
            while !open { lock.wait() }
            lock.unlock()
            return items.map { [Float($0), Float($0 * 2)] }
        }

        /// Lets every batch, running or to come, finish.
        func openGate() {
            lock.lock()
            open = true
            lock.broadcast()
            lock.unlock()
        }

        var batches: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }
    }

    /// Waits for `condition` with a deadline far beyond any healthy wait: under a full parallel
    /// test run the shared task threads can be held by other suites for a minute or more, so a
    /// short deadline fails the test for the machine's load, not for the queue.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(300)
        while !condition() && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("requests waiting together run as one batch up to the limit, each gets its own rows in order")
    func merges() async throws {
        let recorder = Recorder()
        let queue = BatchQueue<Int>(name: "merge", maxBatch: 8, capacity: 100, metrics: ServerMetrics()) { recorder.compute($0) }
        async let first = queue.submit([1], retryAfter: 1)
        try await waitUntil { recorder.batches.count == 1 }
        // While the first batch is held, three requests queue: 3 + 4 fit in 8, the 5 after them do not.
        async let a = queue.submit([10, 11, 12], retryAfter: 1)
        try await waitUntil { queue.depth == 3 }
        async let b = queue.submit([20, 21, 22, 23], retryAfter: 1)
        try await waitUntil { queue.depth == 7 }
        async let c = queue.submit([30, 31, 32, 33, 34], retryAfter: 1)
        try await waitUntil { queue.depth == 12 }
        recorder.openGate()
        let results = try await (first, a, b, c)
        #expect(results.0 == [[1, 2]])
        #expect(results.1 == [[10, 20], [11, 22], [12, 24]])
        #expect(results.2.map { $0[0] } == [20, 21, 22, 23])
        #expect(results.3.map { $0[0] } == [30, 31, 32, 33, 34])
        #expect(recorder.batches == [1, 7, 5])
    }

    @Test("a full queue answers 429 with Retry-After at once; a cancelled waiting request leaves the queue")
    func fullAndCancelled() async throws {
        let recorder = Recorder()
        let queue = BatchQueue<Int>(name: "full", maxBatch: 4, capacity: 4, metrics: ServerMetrics()) { recorder.compute($0) }
        async let running = queue.submit([1], retryAfter: 2)
        try await waitUntil { recorder.batches.count == 1 }
        let waiting = Task { try await queue.submit([2, 3, 4], retryAfter: 2) }
        try await waitUntil { queue.depth == 3 }
        let error = await #expect(throws: APIError.self) { try await queue.submit([5, 6], retryAfter: 2) }
        #expect(error?.status == .tooManyRequests && error?.retryAfter == 2)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(queue.depth == 0)
        // Room again after the cancellation.
        async let later = queue.submit([7, 8], retryAfter: 2)
        try await waitUntil { queue.depth == 2 }
        recorder.openGate()
        #expect(try await running == [[1, 2]])
        #expect(try await later == [[7, 14], [8, 16]])
        #expect(recorder.batches == [1, 2])
    }

    @Test("a request larger than the batch limit runs alone; an error reaches every request of its batch")
    func largeAndFailing() async throws {
        let queue = BatchQueue<Int>(name: "large", maxBatch: 2, capacity: 100, metrics: ServerMetrics()) { items in
            if items.contains(-1) { throw APIError.invalid("bad item", param: "input") }
            return items.map { [Float($0)] }
        }
        #expect(try await queue.submit([1, 2, 3, 4, 5], retryAfter: 1).count == 5)
        await #expect(throws: APIError.self) { try await queue.submit([-1], retryAfter: 1) }
    }

    @Test("the bearer check compares whole keys")
    func bearer() {
        typealias Auth = BearerAuthMiddleware<BasicRequestContext>
        #expect(Auth.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Auth.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Auth.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!Auth.constantTimeEqual([], Array("a".utf8)))
    }

    @Test("with two workers two batches run at once, and every request still gets its own rows")
    func twoWorkers() async throws {
        let recorder = Recorder()
        let queue = BatchQueue<Int>(name: "two", maxBatch: 2, capacity: 100, workers: 2, metrics: ServerMetrics()) { recorder.compute($0) }
        async let a = queue.submit([1, 2], retryAfter: 1)
        try await waitUntil { recorder.batches.count == 1 }
        async let b = queue.submit([3, 4], retryAfter: 1)
        // The second batch starts while the first is still held.
        try await waitUntil { recorder.batches.count == 2 }
        #expect(recorder.batches == [2, 2])
        recorder.openGate()
        #expect(try await a == [[1, 2], [2, 4]])
        #expect(try await b == [[3, 6], [4, 8]])
    }
}
