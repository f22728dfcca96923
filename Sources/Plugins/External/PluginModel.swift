import CZooPlugin
import Foundation
import Runtime

/// The sizes a plugin model reports through `describe`, checked against the ABI's limits.
struct PluginModelInfo: Sendable, Equatable {
    /// Largest width, token count per item or patch side zoo accepts from a plugin.
    static let maxWidth: Int64 = 65_536
    /// Most tokens one image may yield.
    static let maxImageTokens: Int64 = 1 << 20

    var pooledWidth: Int
    var tokenWidth: Int
    var maxTokens: Int
    var patchSize: Int
    var registerCount: Int

    /// Checks `raw` for a model of `modality` of `plugin`.
    init(_ raw: zoo_plugin_model_info, modality: Modality, plugin: String) throws(PluginError) {
        func check(_ field: String, _ value: Int64, _ range: ClosedRange<Int64>, _ rule: String) throws(PluginError) -> Int {
            guard range.contains(value) else { throw .invalidSize(plugin: plugin, field: field, value: value, rule: rule) }
            return Int(value)
        }
        let widths = "widths must be 1…\(Self.maxWidth)"
        pooledWidth = try check("pooled_width", raw.pooled_width, 1...Self.maxWidth, widths)
        tokenWidth = try check("token_width", raw.token_width, 1...Self.maxWidth, widths)
        switch modality {
        case .text:
            maxTokens = try check("max_tokens", raw.max_tokens, 1...Self.maxWidth, "a text model's max_tokens must be 1…\(Self.maxWidth)")
            patchSize = 0
            registerCount = 0
        case .vision:
            _ = try check("token_width", raw.token_width, raw.pooled_width...raw.pooled_width,
                          "a vision model's token width must equal its pooled width (\(raw.pooled_width))")
            maxTokens = 0
            patchSize = try check("patch_size", raw.patch_size, 0...Self.maxWidth, "patch_size must be 0…\(Self.maxWidth)")
            registerCount = try check("register_count", raw.register_count, 0...Self.maxWidth, "register_count must be 0…\(Self.maxWidth)")
        }
    }
}

/// One model created by a plugin: the opaque handle, the sizes it reported, and a lock that
/// serialises every call into it. The handle is destroyed when the last reference goes away.
final class PluginModel: @unchecked Sendable {
    // @unchecked: `handle` is only passed to the plugin while `lock` is held, and the other
    // stored properties are immutable.

    /// The library that created the model.
    let library: PluginLibrary
    /// The model's checked sizes.
    let info: PluginModelInfo
    private let handle: UnsafeMutableRawPointer
    private let lock = NSLock()

    /// Longest `last_error` message read, in bytes.
    static let maxErrorBytes = 4096

    private init(library: PluginLibrary, handle: UnsafeMutableRawPointer, info: PluginModelInfo) {
        self.library = library
        self.handle = handle
        self.info = info
    }

    deinit { library.functions.destroy(handle) }

    /// Creates the model in `folder` and asks for its sizes; the plugin's own message is carried
    /// into the error when either call fails.
    static func open(library: PluginLibrary, folder: URL) throws(PluginError) -> PluginModel {
        let functions = library.functions
        var message = [CChar](repeating: 0, count: Int(ZOO_PLUGIN_ERROR_CAPACITY))
        let created = folder.path.withCString { path in
            message.withUnsafeMutableBufferPointer { functions.create(path, $0.baseAddress, $0.count) }
        }
        guard let handle = created else {
            message[message.count - 1] = 0
            let text = message.withUnsafeBufferPointer { CString.read($0.baseAddress, limit: $0.count) } ?? ""
            throw .createFailed(plugin: library.name, folder: folder.path,
                                message: text.isEmpty ? "(the plugin gave no reason)" : text)
        }
        var raw = zoo_plugin_model_info(pooled_width: -1, token_width: -1, max_tokens: -1, patch_size: -1, register_count: -1)
        let code = functions.describe(handle, &raw)
        do throws(PluginError) {
            guard code == ZOO_PLUGIN_OK else {
                throw .callFailed(plugin: library.name, function: "describe", code: code,
                                  message: lastError(functions, handle))
            }
            let info = try PluginModelInfo(raw, modality: library.modality, plugin: library.name)
            return PluginModel(library: library, handle: handle, info: info)
        } catch {
            functions.destroy(handle)
            throw error
        }
    }

    /// Runs `body` with the handle while holding the model's lock.
    func withHandle<Result>(
        _ body: (PluginFunctions, UnsafeMutableRawPointer) throws(PluginError) -> Result
    ) throws(PluginError) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(library.functions, handle)
    }

    /// The failure of `function` with `code`, carrying the plugin's `last_error` text. Call it
    /// inside `withHandle`, right after the failing call.
    func failure(_ function: String, code: Int32, handle: UnsafeMutableRawPointer) -> PluginError {
        .callFailed(plugin: library.name, function: function, code: code,
                    message: Self.lastError(library.functions, handle))
    }

    private static func lastError(_ functions: PluginFunctions, _ handle: UnsafeMutableRawPointer) -> String {
        let text = CString.read(functions.lastError(handle), limit: maxErrorBytes) ?? ""
        return text.isEmpty ? "(the plugin gave no message)" : text
    }
}
