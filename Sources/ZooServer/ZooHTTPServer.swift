import Foundation
import Hummingbird
import Logging
import Registry
import Runtime
import ZooKit

/// `zoo serve`: the HTTP API over a zoo home, on Hummingbird 2 with swift-service-lifecycle.
///
/// SIGTERM or SIGINT stops accepting connections, lets requests in flight finish, then returns.
public enum ZooHTTPServer {
    /// Loads the `--preload` models, binds, calls `onListening` with the bound host and port,
    /// and serves until SIGTERM or SIGINT.
    ///
    /// - Throws: ``ZooError`` for a preload model that cannot be loaded (66 unknown, 65 bad), or
    ///   the bind error.
    public static func run(
        zoo: ModelZoo, configuration: ServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void
    ) async throws {
        let metrics = ServerMetrics()
        let pool = ModelPool(zoo: zoo, configuration: configuration, metrics: metrics)
        for name in configuration.preload {
            do { _ = try await pool.model(name) } catch let error as APIError {
                throw ZooError(error.status == .notFound ? .noInput : .data, "--preload \(name): \(error.message)")
            }
        }
        let router = Router(context: ZooRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: BearerAuthMiddleware(key: Array(key.utf8))) }
        Routes(pool: pool, metrics: metrics, configuration: configuration).register(on: router)
        let host = configuration.host
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [HangUpWatch()])),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "zoo"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        try await app.runService()
    }
}
