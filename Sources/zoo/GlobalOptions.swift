import ArgumentParser
import Foundation
import ZooKit
import Logging
import Plugins
import Registry
import Runtime

/// Options every command that touches a zoo home accepts.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The zoo home (catalog and checkpoints). Default: $ZOO_HOME, else the current directory.", valueName: "dir"))
    var home: String?

    @Flag(name: .shortAndLong, help: "Log what zoo does to standard error.")
    var verbose = false

    /// The resolved home.
    var zooHome: ZooHome { ZooHome.resolve(explicit: home) }

    /// Opens the home (creating it when needed) and sets up logging.
    func openZoo() throws -> ModelZoo {
        let level: Logger.Level = verbose ? .debug : .warning
        LoggingSystem.bootstrapOnce(level: level)
        let zoo = try ModelZoo(home: zooHome)
        Logger(label: "zoo").debug("zoo home \(zoo.home.url.path); \(ZooLog.computeSummary)")
        return zoo
    }
}

extension GlobalOptions {
    /// Opens the home's existing catalog read-only (cluster tasks) and sets up logging.
    func openZooReadOnly() throws -> ModelZoo {
        LoggingSystem.bootstrapOnce(level: verbose ? .debug : .warning)
        return try ModelZoo(readingOnly: zooHome)
    }
}

/// Options of read commands.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table (shapes in docs/CLI.md).")
    var json = false
}

extension LoggingSystem {
    private static let once = OnceFlag()

    /// Bootstraps swift-log to standard error once per process.
    static func bootstrapOnce(level: Logger.Level) {
        guard once.claim() else { return }
        bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// A flag that is claimed once, thread-safely.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}

extension PluginResolution {
    /// As `prepare(_:zoo:)`, opening the zoo home of `global` only when `backendID` names a plugin.
    static func prepare(_ backendID: String?, global: GlobalOptions) throws {
        guard let backendID, PluginLibrary.pluginName(backendID: backendID) != nil,
              EncoderBackends.backend(id: backendID) == nil else { return }
        try prepare(backendID, zoo: global.openZoo())
    }
}

extension EmbeddingDType: ExpressibleByArgument {}

extension PairEvaluation.Task: ExpressibleByArgument {}
