import Foundation
import Logging
import Runtime

/// A bounded queue of encoding jobs for one model and one modality, served by `workers`
/// threads: whatever jobs are waiting when a worker is free are encoded as one batch, up to
/// `maxBatch` inputs (a larger job runs alone). A batch that has the queue to itself runs on
/// all compute threads; while other batches run or wait, each runs on one thread. Rows do not
/// depend on what else is in a batch (zoo's kernels are row-independent), so merging requests
/// never changes their answers.
///
/// A job that would take the waiting inputs past `capacity` is refused at once (429). A job
/// whose task is cancelled while it waits, or whose client's connection has closed (checked
/// when a batch is formed and before a 429), leaves the queue without being encoded.
final class BatchQueue<Item: Sendable>: @unchecked Sendable {
    /// One request's inputs and how to answer it.
    private struct Job {
        let id: UInt64
        let items: [Item]
        let client: ClientProbe
        let resume: @Sendable (Result<[[Float]], any Error>) -> Void
    }

    let name: String
    private let maxBatch: Int
    private let capacity: Int
    /// Worker threads, each encoding one batch at a time.
    private let workers: Int
    /// How long a batch under load waits to fill.
    private let window: TimeInterval
    private let compute: @Sendable ([Item]) throws -> [[Float]]
    private let metrics: ServerMetrics
    private let logger = Logger(label: "zoo.serve.batch")
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var waiting = 0
    private var nextID: UInt64 = 0
    private var cancelledEarly: Set<UInt64> = []
    /// Workers encoding a batch now.
    private var busy = 0

    /// Starts the worker threads.
    init(
        name: String, maxBatch: Int, capacity: Int, window: TimeInterval = 0, workers: Int = 1, metrics: ServerMetrics,
        compute: @escaping @Sendable ([Item]) throws -> [[Float]]
    ) {
        self.name = name
        self.window = max(0, window)
        self.workers = max(1, workers)
        self.maxBatch = max(1, maxBatch)
        self.capacity = max(1, capacity)
        self.compute = compute
        self.metrics = metrics
        for index in 0..<max(1, workers) {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "zoo-batch-\(name)-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Inputs waiting now.
    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting
    }

    /// Encodes `items` with whatever else is waiting; one row per item.
    ///
    /// - Throws: ``APIError`` 429 when the queue is full, `CancellationError` when the task is
    ///   cancelled before its batch starts, or the model's error.
    func submit(_ items: [Item], retryAfter: Int, client: ClientProbe = .always) async throws -> [[Float]] {
        let id = takeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[[Float]], any Error>) in
                condition.lock()
                if cancelledEarly.remove(id) != nil {
                    condition.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                var gone: [Job] = []
                if waiting + items.count > capacity && waiting > 0 { gone = removeDisconnected() }
                guard waiting + items.count <= capacity || waiting == 0 else {
                    let depth = waiting
                    condition.unlock()
                    for job in gone { job.resume(.failure(CancellationError())) }
                    continuation.resume(throwing: APIError(
                        status: .tooManyRequests,
                        message: "the queue of '\(name)' holds \(depth) inputs (at most \(capacity)); retry after \(retryAfter) s",
                        type: "rate_limit_error", param: nil, retryAfter: retryAfter))
                    return
                }
                jobs.append(Job(id: id, items: items, client: client, resume: { continuation.resume(with: $0) }))
                waiting += items.count
                metrics.queueDepth(name).set(to: Double(waiting))
                condition.signal()
                condition.unlock()
                for job in gone { job.resume(.failure(CancellationError())) }
            }
        } onCancel: {
            self.cancel(id)
        }
    }

    /// A fresh job id.
    private func takeID() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextID += 1
        return nextID
    }

    /// Drops job `id` if it has not started.
    private func cancel(_ id: UInt64) {
        condition.lock()
        guard let index = jobs.firstIndex(where: { $0.id == id }) else {
            cancelledEarly.insert(id)
            condition.unlock()
            return
        }
        let job = jobs.remove(at: index)
        waiting -= job.items.count
        metrics.queueDepth(name).set(to: Double(waiting))
        metrics.droppedInputs(name).increment(by: Int64(job.items.count))
        condition.unlock()
        job.resume(.failure(CancellationError()))
    }

    /// Takes the jobs whose client has disconnected out of the queue; the caller holds the lock
    /// and answers them after releasing it.
    private func removeDisconnected() -> [Job] {
        guard jobs.contains(where: { !$0.client.isConnected }) else { return [] }
        var gone: [Job] = []
        jobs.removeAll { job in
            guard !job.client.isConnected else { return false }
            gone.append(job)
            return true
        }
        let count = gone.reduce(0) { $0 + $1.items.count }
        waiting -= count
        metrics.queueDepth(name).set(to: Double(waiting))
        metrics.droppedInputs(name).increment(by: Int64(count))
        return gone
    }

    /// The worker: take what is waiting (up to `maxBatch` inputs), encode, answer, repeat.
    ///
    /// Under load (the previous batch merged several requests) a batch that is not full waits up
    /// to `window` for more requests: the clients whose answers just went out send their next
    /// requests within about a millisecond, and a fuller batch encodes more inputs per second. A
    /// lone client never waits.
    private func work() {
        var previousRequests = 0
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let gone = removeDisconnected()
            if jobs.isEmpty {
                condition.unlock()
                for job in gone { job.resume(.failure(CancellationError())) }
                continue
            }
            var taken = [jobs.removeFirst()]
            var count = taken[0].items.count
            let deadline = Date().addingTimeInterval(window)
            while count < maxBatch {
                if let next = jobs.first {
                    guard count + next.items.count <= maxBatch else { break }
                    taken.append(jobs.removeFirst())
                    count += next.items.count
                } else if previousRequests > 1 && window > 0 && Date() < deadline {
                    _ = condition.wait(until: deadline)
                } else {
                    break
                }
            }
            previousRequests = taken.count
            // A batch with the queue to itself uses every compute thread; with other batches in
            // flight or waiting, each runs on one thread, so no thread waits for another's share.
            let alone = busy == 0 && jobs.isEmpty
            busy += 1
            waiting -= count
            metrics.queueDepth(name).set(to: Double(waiting))
            // Ids cancelled before they were queued and never queued since are forgotten here.
            if jobs.isEmpty { cancelledEarly.removeAll() }
            condition.unlock()
            for job in gone { job.resume(.failure(CancellationError())) }
            metrics.batchSize(name).record(Double(count))
            let items = taken.flatMap(\.items)
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                let rows = workers > 1 && !alone ? try ComputeThreads.withSingleThreadedBLAS { try compute(items) } : try compute(items)
                let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
                metrics.batchDuration(name).recordNanoseconds(Int64(nanoseconds))
                let milliseconds = Double(nanoseconds) / 1e6
                logger.debug("\(name): \(taken.count) request(s), \(count) input(s) in \(String(format: "%.2f", milliseconds)) ms")
                var offset = 0
                for job in taken {
                    job.resume(.success(Array(rows[offset..<offset + job.items.count])))
                    offset += job.items.count
                }
            } catch {
                for job in taken { job.resume(.failure(error)) }
            }
            condition.lock()
            busy -= 1
            condition.unlock()
        }
    }
}
