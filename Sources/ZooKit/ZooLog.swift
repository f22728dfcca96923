import Foundation
import Logging
import Runtime

/// zoo's loggers (swift-log): what `--verbose` shows. The process picks the backend once at
/// start-up (`LoggingSystem.bootstrap`); a library user who never bootstraps gets swift-log's
/// default, standard error at `info`, and zoo logs nothing below `debug`.
public enum ZooLog {
    /// Encoder loading, kernels and threads.
    public static let runtime = Logger(label: "zoo.runtime")
    /// Embedding caches: hits, misses, fills.
    public static let cache = Logger(label: "zoo.cache")
    /// Phases of a use-case and their wall time.
    public static let phases = Logger(label: "zoo.phases")

    /// One line naming the kernel copy, the CPU's widths, the compute threads and OpenBLAS.
    public static var computeSummary: String {
        "kernels \(KernelPath.name(lanes: KernelPath.lanes)) (\(KernelPath.lanes) lanes; this CPU runs \(KernelPath.supported.map(String.init).joined(separator: ", "))), \(ComputeThreads.count) threads, \(BLASInfo.configuration)"
    }

    /// Runs `body`, then logs its wall time as phase `name`.
    public static func timed<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
        let start = Date()
        defer { phases.debug("phase \(name): \(String(format: "%.3f", Date().timeIntervalSince(start))) s") }
        return try body()
    }
}
