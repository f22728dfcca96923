import Foundation

/// The work of an ``ImageBatchLoader``'s background thread: decode and preprocess the inputs in
/// order, group them into batches and hand them to the buffer.
struct BatchProducer: Sendable {
    typealias Outcome = Result<(shape: [Int], scalars: [Float]), ImageError>

    let urls: [URL]
    let preprocessor: ImagePreprocessor
    let batchSize: Int
    let skipBad: Bool
    let decodeThreads: Int

    /// Fills `buffer` until the inputs are exhausted, an input fails (without `skipBad`), or the
    /// buffer is cancelled; always marks the buffer finished.
    func run(into buffer: BoundedBuffer<Result<ImageBatch, ImageError>>) {
        defer { buffer.finish() }
        var pending = PendingBatch()
        var start = 0
        while start < urls.count {
            if buffer.isCancelled { return }
            let chunk = Array(urls[start..<min(start + batchSize, urls.count)])
            start += chunk.count
            for (url, outcome) in zip(chunk, process(chunk)) {
                switch outcome {
                case .success(let input):
                    if let shape = pending.shape, shape != input.shape {
                        guard emit(&pending, into: buffer) else { return }
                    }
                    pending.add(url: url, input: input)
                    if pending.urls.count == batchSize {
                        guard emit(&pending, into: buffer) else { return }
                    }
                case .failure(let error):
                    if skipBad {
                        pending.failures.append(ImageFailure(url: url, error: error))
                    } else {
                        guard emit(&pending, into: buffer) else { return }
                        _ = buffer.put(.failure(error))
                        return
                    }
                }
            }
        }
        _ = emit(&pending, into: buffer)
    }

    /// Hands over the pending batch if it holds anything; `false` once the buffer is cancelled.
    private func emit(
        _ pending: inout PendingBatch, into buffer: BoundedBuffer<Result<ImageBatch, ImageError>>
    ) -> Bool {
        guard !pending.urls.isEmpty || !pending.failures.isEmpty else { return !buffer.isCancelled }
        let shape = [pending.urls.count] + (pending.shape ?? [3, 0, 0])
        let batch = ImageBatch(
            urls: pending.urls, pixels: Tensor(shape: shape, scalars: pending.scalars), failures: pending.failures)
        pending = PendingBatch()
        return buffer.put(.success(batch))
    }

    /// The outcomes for `chunk`, in its order, computed on up to ``decodeThreads`` threads.
    private func process(_ chunk: [URL]) -> [Outcome] {
        let preprocessor = preprocessor
        let work: @Sendable (URL) -> Outcome = { url in
            Result { () throws(ImageError) in
                preprocessor.modelInput(for: try preprocessor.decoder.decode(contentsOf: url))
            }
        }
        let threads = min(decodeThreads, chunk.count)
        guard threads > 1 else { return chunk.map(work) }
        let slots = OutcomeSlots(count: chunk.count)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for index in stride(from: worker, to: chunk.count, by: threads) {
                slots.set(index, work(chunk[index]))
            }
        }
        return slots.outcomes
    }
}

/// The batch being assembled.
private struct PendingBatch {
    var urls: [URL] = []
    var scalars: [Float] = []
    var shape: [Int]?
    var failures: [ImageFailure] = []

    mutating func add(url: URL, input: (shape: [Int], scalars: [Float])) {
        urls.append(url)
        scalars.append(contentsOf: input.scalars)
        shape = input.shape
    }
}

/// Results written by several threads at distinct indices, guarded by a lock.
private final class OutcomeSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [BatchProducer.Outcome?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ outcome: BatchProducer.Outcome) {
        lock.lock()
        slots[index] = outcome
        lock.unlock()
    }

    var outcomes: [BatchProducer.Outcome] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
