import CZooPlugin
import Foundation
import Runtime

/// An external encoder backend's shared library, opened with `dlopen` and checked against the
/// version-1 ABI of `zoo_plugin.h`: the entry point, the ABI version, the table's size, a valid
/// name and modality, and every function pointer the modality needs.
///
/// A loaded library stays loaded until the process exits (models and encoders keep using its
/// code), so creating a `PluginLibrary` twice for one file is cheap and safe.
public final class PluginLibrary: @unchecked Sendable {
    // @unchecked: every stored property is immutable after `init`, and the plugin's functions
    // are only called through `PluginModel`, which serialises the calls into each model.

    /// Longest plugin name accepted.
    public static let maxNameLength = 64
    /// Longest description kept, in bytes.
    static let maxDescriptionBytes = 256

    /// The file it was loaded from, as given.
    public let path: String
    /// The plugin's name (`[a-z0-9_-]+`).
    public let name: String
    /// Vision or text.
    public let modality: Modality
    /// The plugin's one-line description (empty when it gives none).
    public let summary: String
    /// The ABI version the plugin implements (always `ZOO_PLUGIN_ABI_VERSION` once loaded).
    public let abiVersion: Int
    /// The checked function pointers.
    let functions: PluginFunctions

    /// The backend id encoders registered with this plugin store: `plugin:NAME`.
    public var backendID: String { Self.backendID(name: name) }

    /// The backend id of the plugin called `name`.
    public static func backendID(name: String) -> String { "plugin:" + name }

    /// The plugin name in a backend id of the form `plugin:NAME`, or nil for other ids.
    public static func pluginName(backendID: String) -> String? {
        backendID.hasPrefix("plugin:") ? String(backendID.dropFirst("plugin:".count)) : nil
    }

    /// Whether `name` is a valid plugin name: 1 to 64 characters of `a-z`, `0-9`, `_`, `-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameLength
            && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
    }

    /// The function pointers a plugin of `modality` must set.
    public static func requiredFunctions(_ modality: Modality) -> [String] {
        switch modality {
        case .vision: return ["create", "describe", "image_tokens", "encode_images", "last_error", "destroy"]
        case .text: return ["create", "describe", "encode_texts", "last_error", "destroy"]
        }
    }

    /// Opens the shared library at `path` (`RTLD_NOW | RTLD_LOCAL`) and checks its table.
    ///
    /// - Throws: `PluginError` naming the file when it is not a shared library, lacks the entry
    ///   point, implements another ABI version, or has an invalid name, modality or table.
    public init(path: String) throws(PluginError) {
        self.path = path
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .notLoadable(path: path, reason: Self.dlerrorText())
        }
        do throws(PluginError) {
            let entry = try Self.entryPoint(handle: handle, path: path)
            guard let raw = entry() else { throw .nullTable(path: path) }
            let table = try Self.checkedTable(UnsafeRawPointer(raw), path: path)
            name = try Self.checkedName(table.name, path: path)
            modality = try Self.checkedModality(table.modality, plugin: name, path: path)
            summary = CString.read(table.description, limit: Self.maxDescriptionBytes) ?? ""
            abiVersion = Int(table.abi_version)
            functions = try PluginFunctions(table, plugin: name, path: path, modality: modality)
        } catch {
            dlclose(handle)
            throw error
        }
    }

    private static func dlerrorText() -> String {
        guard let text = dlerror() else { return "unknown dlopen failure" }
        return String(cString: text)
    }

    private static func entryPoint(handle: UnsafeMutableRawPointer, path: String) throws(PluginError) -> zoo_plugin_entry_v1 {
        _ = dlerror()
        guard let symbol = dlsym(handle, ZOO_PLUGIN_ENTRY_POINT) else {
            throw .missingEntryPoint(path: path)
        }
        return unsafeBitCast(symbol, to: zoo_plugin_entry_v1.self)
    }

    /// Reads the version and size first, and the whole table only when both are acceptable.
    private static func checkedTable(_ raw: UnsafeRawPointer, path: String) throws(PluginError) -> zoo_plugin_api_v1 {
        let version = raw.loadUnaligned(as: UInt32.self)
        guard version == UInt32(ZOO_PLUGIN_ABI_VERSION) else {
            throw .abiMismatch(path: path, found: version, supported: UInt32(ZOO_PLUGIN_ABI_VERSION))
        }
        let size = raw.loadUnaligned(fromByteOffset: MemoryLayout<UInt32>.size, as: UInt32.self)
        let expected = MemoryLayout<zoo_plugin_api_v1>.size
        guard Int(size) >= expected else {
            throw .tableTooSmall(path: path, size: size, expected: expected)
        }
        return raw.loadUnaligned(as: zoo_plugin_api_v1.self)
    }

    private static func checkedName(_ pointer: UnsafePointer<CChar>?, path: String) throws(PluginError) -> String {
        guard let pointer else { throw .invalidName(path: path, name: nil) }
        let name = CString.read(pointer, limit: maxNameLength + 1) ?? ""
        guard isValidName(name) else { throw .invalidName(path: path, name: name) }
        return name
    }

    private static func checkedModality(
        _ pointer: UnsafePointer<CChar>?, plugin: String, path: String
    ) throws(PluginError) -> Modality {
        let text = CString.read(pointer, limit: 16)
        guard let text, let modality = Modality(rawValue: text) else {
            throw .invalidModality(plugin: plugin, path: path, modality: text)
        }
        return modality
    }
}

/// Reading C strings a plugin owns without trusting them to be terminated.
enum CString {
    /// The UTF-8 text at `pointer`, reading at most `limit` bytes (a longer string is cut);
    /// nil for a NULL pointer. Invalid UTF-8 is repaired with U+FFFD.
    static func read(_ pointer: UnsafePointer<CChar>?, limit: Int) -> String? {
        guard let pointer else { return nil }
        let length = strnlen(pointer, limit)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
