import Foundation

/// What a backend learns from a checkpoint folder before it is registered.
public struct CheckpointInspection: Sendable, Equatable {
    /// Width of the pooled embedding.
    public var pooledWidth: Int?
    /// Width of each token state.
    public var tokenWidth: Int?

    public init(pooledWidth: Int?, tokenWidth: Int?) {
        self.pooledWidth = pooledWidth
        self.tokenWidth = tokenWidth
    }
}

/// An encoder backend: one architecture family that zoo can run, identified by a short id
/// (`bert`, `roberta`, `dinov2`, or an external plugin's id). Backends are registered once at
/// start-up with `EncoderBackends.bootstrap`, as swift-log's handlers are.
public protocol EncoderBackend: Sendable {
    /// Stable id stored in the catalog.
    var id: String { get }
    /// Vision or text.
    var modality: Modality { get }
    /// One line for `zoo backend list`.
    var summary: String { get }
    /// Hugging Face `model_type` values this backend reads, to pick it when `--backend` is omitted.
    var modelTypes: [String] { get }
    /// Checks that `folder` is a checkpoint this backend can load, and reports its widths.
    func inspect(folder: URL) throws -> CheckpointInspection
}

/// The `model_type` of a Hugging Face model folder: the one place zoo reads that key, so that
/// picking an architecture is a table lookup (``EncoderBackends/backend(modelType:)``).
public enum HuggingFaceModelType {
    private struct Config: Decodable {
        var modelType: String?
    }

    /// config.json's `model_type` in `folder`; nil when the file, the key or a string value is
    /// missing, or the file is not a JSON object.
    public static func read(folder: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("config.json").path) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (try? decoder.decode(Config.self, from: data))?.modelType
    }
}

/// The process-wide table of encoder backends.
public enum EncoderBackends {
    private static let table = BackendTable()

    /// Registers `backends`, replacing any earlier one with the same id. Call at start-up.
    public static func bootstrap(_ backends: [any EncoderBackend]) {
        table.insert(backends)
    }

    /// All registered backends, sorted by id.
    public static var all: [any EncoderBackend] { table.snapshot().sorted { $0.id < $1.id } }

    /// The backend with `id`, if registered.
    public static func backend(id: String) -> (any EncoderBackend)? {
        table.snapshot().first { $0.id == id }
    }

    /// The first backend (by id) that reads Hugging Face `model_type`, if any.
    public static func backend(modelType: String) -> (any EncoderBackend)? {
        all.first { $0.modelTypes.contains(modelType) }
    }

    /// The backend of `modality` that reads config.json `model_type` `modelType`: a full CLIP
    /// checkpoint (`clip`) is read by a vision and a text backend.
    public static func backend(modelType: String, modality: Modality) -> (any EncoderBackend)? {
        all.first { $0.modelTypes.contains(modelType) && $0.modality == modality }
    }
}

/// A lock-protected list; the lock makes the shared mutable state safe across threads.
private final class BackendTable: @unchecked Sendable {
    private let lock = NSLock()
    private var backends: [any EncoderBackend] = []

    func insert(_ new: [any EncoderBackend]) {
        lock.lock()
        defer { lock.unlock() }
        let ids = Set(new.map(\.id))
        backends.removeAll { ids.contains($0.id) }
        backends.append(contentsOf: new)
    }

    func snapshot() -> [any EncoderBackend] {
        lock.lock()
        defer { lock.unlock() }
        return backends
    }
}

