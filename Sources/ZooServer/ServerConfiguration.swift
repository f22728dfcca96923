import Foundation

/// How `zoo serve` runs.
public struct ServerConfiguration: Sendable {
    /// The address to bind (loopback by default: nothing outside the machine can connect).
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (printed once the server listens).
    public var port = 8080
    /// When set, every request needs `Authorization: Bearer <key>` (401 otherwise).
    public var apiKey: String?
    /// Most inputs encoded in one forward pass; requests that arrive together are merged up to it.
    public var maxBatch = 32
    /// How long a batch that is not full waits for more requests while the server is under load
    /// (the previous batch merged several requests); a lone client never waits.
    public var batchWindow: TimeInterval = 0
    /// Batches of one model and modality encoded at once. A batch that has the queue to itself
    /// runs on every compute thread; while other batches run or wait, each runs on one thread
    /// (BLAS and zoo's loops held to one thread), so no thread waits at the end of another's
    /// share. 1: one batch at a time, always on every thread.
    public var batchWorkers = 2
    /// Most inputs waiting per model; a request that would go past it is answered 429.
    public var queueCapacity = 1024
    /// Largest request body in bytes; a larger one is answered 413.
    public var maxBodyBytes = 16 << 20
    /// Most inputs in one request (texts or images).
    public var maxInputsPerRequest = 2048
    /// Longest text in characters.
    public var maxTextCharacters = 100_000
    /// Models (pairs or encoders) loaded at start instead of on first use.
    public var preload: [String] = []
    /// Seconds a client is told to wait after a 429.
    public var retryAfterSeconds = 1

    /// The defaults.
    public init() {}
}
