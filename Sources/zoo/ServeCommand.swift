import ArgumentParser
import Foundation
import Logging
import Registry
import ZooKit
import ZooServer

/// `zoo serve [--host H] [--port P] [--api-key K] [--max-batch N] [--queue N] [--max-body BYTES] [--preload NAME…]`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve embeddings, zero-shot classification and search over HTTP (docs/API.md).",
        discussion: """
            Routes: POST /v1/embeddings (OpenAI's shape), POST /v1/classify, POST /v1/search, \
            GET /v1/models, GET /health, GET /metrics (Prometheus). Requests for the same model that \
            arrive together are encoded as one batch. Prints 'listening on http://HOST:PORT' once \
            bound; SIGTERM or SIGINT lets requests in flight finish, then exits 0.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port).")
    var port = 8080

    @Option(help: ArgumentHelp("Require 'Authorization: Bearer KEY' (default: $ZOO_API_KEY when set).", valueName: "key"))
    var apiKey: String?

    @Option(help: "Most inputs per forward pass when requests are merged.")
    var maxBatch = 32

    @Option(help: "Milliseconds a batch that is not full waits for more requests under load (a lone client never waits).")
    var batchWindow = 0.0

    @Option(help: "Batches per model and modality encoded at once. A batch alone uses every thread; while others run or wait, each uses one.")
    var batchWorkers = 2

    @Option(help: "Most inputs waiting per model and modality; more is answered 429.")
    var queue = 1024

    @Option(help: "Largest request body in bytes; larger is answered 413.")
    var maxBody = 16 << 20

    @Option(parsing: .upToNextOption, help: "Pairs or encoders to load at start instead of on first use.")
    var preload: [String] = []

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (0...1_000).contains(batchWindow) else { throw ValidationError("--batch-window must be between 0 and 1000 ms") }
        guard (1...64).contains(batchWorkers) else { throw ValidationError("--batch-workers must be between 1 and 64") }
        guard maxBatch >= 1, queue >= 1, maxBody >= 1024 else {
            throw ValidationError("--max-batch and --queue must be at least 1, --max-body at least 1024")
        }
    }

    func run() throws {
        let zoo = try global.openZoo()
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["ZOO_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.maxBatch = maxBatch
        configuration.queueCapacity = queue
        configuration.batchWindow = batchWindow / 1_000
        configuration.batchWorkers = batchWorkers
        configuration.maxBodyBytes = maxBody
        configuration.preload = preload
        var logger = Logger(label: "zoo.serve")
        logger.logLevel = global.verbose ? .info : .warning
        let (settings, log) = (configuration, logger)
        let outcome = BlockingTask.run {
            try await ZooHTTPServer.run(zoo: zoo, configuration: settings, logger: log) { host, port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
        }
        try outcome.get()
    }
}

/// Runs async work to completion from synchronous code (the CLI's commands are synchronous).
enum BlockingTask {
    /// Runs `body` and returns its outcome.
    static func run<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) -> Result<Value, any Error> {
        let box = ResultBox<Value>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return box.value!
    }

    private final class ResultBox<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<Value, any Error>?
        func set(_ value: Result<Value, any Error>) { lock.lock(); result = value; lock.unlock() }
        var value: Result<Value, any Error>? { lock.lock(); defer { lock.unlock() }; return result }
    }
}
