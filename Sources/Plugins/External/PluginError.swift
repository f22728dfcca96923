import Runtime

/// Why an external plugin could not be loaded, could not load a model, or returned output zoo
/// refuses. Every message names the plugin (or its file) and says what to do.
public enum PluginError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `dlopen` refused the file: not a shared library, wrong architecture, missing dependency.
    case notLoadable(path: String, reason: String)
    /// The library does not export `zoo_plugin_v1`.
    case missingEntryPoint(path: String)
    /// `zoo_plugin_v1()` returned NULL.
    case nullTable(path: String)
    /// The table's `abi_version` is not the one this zoo implements.
    case abiMismatch(path: String, found: UInt32, supported: UInt32)
    /// The table's `struct_size` is smaller than version 1's table.
    case tableTooSmall(path: String, size: UInt32, expected: Int)
    /// The table's `name` is NULL, too long, or not made of `[a-z0-9_-]`.
    case invalidName(path: String, name: String?)
    /// The table's `modality` is neither `vision` nor `text`.
    case invalidModality(plugin: String, path: String, modality: String?)
    /// A function pointer the plugin's modality needs is NULL.
    case missingFunction(plugin: String, path: String, function: String, modality: Modality)
    /// `create` returned NULL; `message` is the plugin's own text.
    case createFailed(plugin: String, folder: String, message: String)
    /// A call into a model returned a failure code; `message` is `last_error`'s text.
    case callFailed(plugin: String, function: String, code: Int32, message: String)
    /// `describe` or `image_tokens` reported a size outside what zoo accepts.
    case invalidSize(plugin: String, field: String, value: Int64, rule: String)
    /// An encode call succeeded but its output breaks the ABI (sizes, overflow, non-finite values).
    case invalidOutput(plugin: String, problem: String)
    /// zoo was asked to encode something the plugin cannot take (shape, ids, batch size).
    case invalidInput(plugin: String, problem: String)

    /// One sentence: what failed, in which plugin or file, and what to do.
    public var description: String {
        switch self {
        case .notLoadable(let path, let reason):
            return "cannot load plugin '\(path)': \(reason); a plugin is a shared library built for this machine (cc -shared -fPIC …, see docs/PLUGINS.md)"
        case .missingEntryPoint(let path):
            return "'\(path)' is not a zoo plugin: it does not export the entry point 'zoo_plugin_v1'; define 'const zoo_plugin_api_v1 *zoo_plugin_v1(void)' with ZOO_PLUGIN_EXPORT (docs/PLUGINS.md)"
        case .nullTable(let path):
            return "plugin '\(path)': zoo_plugin_v1() returned NULL instead of its function table; return the address of a static zoo_plugin_api_v1"
        case .abiMismatch(let path, let found, let supported):
            return "plugin '\(path)' implements zoo plugin ABI version \(found), but this zoo supports version \(supported); rebuild the plugin against this zoo's Sources/CZooPlugin/include/zoo_plugin.h"
        case .tableTooSmall(let path, let size, let expected):
            return "plugin '\(path)' declares a function table of \(size) bytes, smaller than the \(expected) bytes of ABI version 1; set struct_size = sizeof(zoo_plugin_api_v1) and rebuild"
        case .invalidName(let path, let name?):
            return "plugin '\(path)' is named '\(name)'; a plugin name is 1 to \(PluginLibrary.maxNameLength) characters of a-z, 0-9, '_' and '-'"
        case .invalidName(let path, nil):
            return "plugin '\(path)' has a NULL name; set the table's name to a string of a-z, 0-9, '_' and '-'"
        case .invalidModality(let plugin, let path, let modality):
            return "plugin '\(plugin)' (\(path)) has modality \(modality.map { "'\($0)'" } ?? "NULL"); it must be \"vision\" or \"text\""
        case .missingFunction(let plugin, let path, let function, let modality):
            return "plugin '\(plugin)' (\(path)) leaves '\(function)' NULL; a \(modality.rawValue) plugin must set \(PluginLibrary.requiredFunctions(modality).joined(separator: ", "))"
        case .createFailed(let plugin, let folder, let message):
            return "plugin '\(plugin)' could not load the model in '\(folder)': \(message)"
        case .callFailed(let plugin, let function, let code, let message):
            return "plugin '\(plugin)' failed in \(function) (code \(code)): \(message)"
        case .invalidSize(let plugin, let field, let value, let rule):
            return "plugin '\(plugin)' reported \(field) = \(value), but \(rule); the plugin is broken, fix it before using it"
        case .invalidOutput(let plugin, let problem):
            return "plugin '\(plugin)' returned output zoo cannot trust: \(problem); the plugin is broken, fix it before using it"
        case .invalidInput(let plugin, let problem):
            return "plugin '\(plugin)': \(problem)"
        }
    }

}

extension PluginError: ReportableError {
    /// A plugin that cannot be loaded or that misbehaves is bad input to zoo: 65.
    public var exitStatus: ExitStatus { .data }
}
