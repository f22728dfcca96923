import Foundation

/// Decodes and preprocesses images on a background thread, ahead of the consumer, into a bounded
/// queue of batches, so that while the encoder works on one batch the next ones are being prepared.
///
/// Batches hold consecutive good images in input order, `batchSize` of them (fewer in the last
/// one, or where the preprocessed size changes, which only happens without center crop). At most
/// `prefetchBatches` finished batches wait in memory; the background thread blocks when the queue
/// is full.
///
/// Without `skipBad`, the first bad input ends the sequence: the images before it are delivered,
/// then ``next()`` throws its ``ImageError``, then returns `nil`. With `skipBad`, bad inputs are
/// reported in ``ImageBatch/failures`` and the rest go on.
///
/// Use from one consumer thread. Dropping the loader, or calling ``cancel()``, stops the
/// background thread after the image it is working on.
public final class ImageBatchLoader: Sendable {
    private let buffer: BoundedBuffer<Result<ImageBatch, ImageError>>

    /// Starts preparing batches of the files at `urls`.
    ///
    /// - Parameters:
    ///   - urls: The image files, in the order batches should follow.
    ///   - preprocessor: Decodes and preprocesses each file.
    ///   - batchSize: Images per batch; at least 1.
    ///   - skipBad: Whether bad inputs are collected as failures instead of ending the sequence.
    ///   - prefetchBatches: How many finished batches may wait; at least 1 (default 2).
    ///   - decodeThreads: How many threads decode the images of one batch (default 1, the
    ///     background thread alone).
    public init(
        urls: [URL], preprocessor: ImagePreprocessor, batchSize: Int, skipBad: Bool = false,
        prefetchBatches: Int = 2, decodeThreads: Int = 1
    ) {
        precondition(batchSize > 0, "batch size must be positive")
        precondition(decodeThreads > 0, "at least one decode thread is needed")
        let buffer = BoundedBuffer<Result<ImageBatch, ImageError>>(capacity: prefetchBatches)
        self.buffer = buffer
        let producer = BatchProducer(
            urls: urls, preprocessor: preprocessor, batchSize: batchSize, skipBad: skipBad,
            decodeThreads: decodeThreads)
        let thread = Thread { producer.run(into: buffer) }
        thread.name = "zoo image prefetch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        buffer.cancel()
    }

    /// The next batch, waiting for it if it is not ready; `nil` after the last one.
    ///
    /// Throws the error of the first bad input when `skipBad` is off.
    public func next() throws(ImageError) -> ImageBatch? {
        guard let result = buffer.take() else { return nil }
        return try result.get()
    }

    /// Stops the background work; later calls to ``next()`` return `nil`.
    public func cancel() {
        buffer.cancel()
    }

    /// Finished batches waiting to be taken (for tests).
    var readyBatches: Int { buffer.count }
}
