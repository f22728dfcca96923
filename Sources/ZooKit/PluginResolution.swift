import Foundation
import Plugins
import Registry
import Runtime

/// Makes the backend `plugin:NAME` available in this process: finds the plugin in the catalog,
/// checks that its file still has the recorded SHA-256, loads it and registers its backend.
public enum PluginResolution {
    /// Registers the plugin backend `backendID`; does nothing for a built-in id, nil, or a plugin
    /// already registered in this process.
    public static func prepare(_ backendID: String?, zoo: ModelZoo) throws {
        guard let backendID, let name = PluginLibrary.pluginName(backendID: backendID),
              EncoderBackends.backend(id: backendID) == nil else { return }
        let record = try zoo.catalog.verifiedPlugin(named: name)
        let library = try load(path: record.path)
        guard library.name == record.name, library.modality.rawValue == record.modality.rawValue else {
            throw ZooError(.data, "plugin '\(record.name)' at \(record.path) now calls itself '\(library.name)' (\(library.modality.rawValue)); run 'zoo plugin add \(record.path) --replace' if you trust it")
        }
        EncoderBackends.bootstrap([library.backend()])
    }

    /// Loads and checks the library at `path`; its failures become `ZooError.data` (65).
    public static func load(path: String) throws -> PluginLibrary {
        do { return try PluginLibrary(path: path) } catch { throw ZooError(.data, error.description) }
    }
}

/// The built-in architectures in the backend table for use-cases of a program that never called
/// `BuiltinBackends.bootstrap()` (the CLI calls it at start-up; a library user need not).
enum BuiltinRegistration {
    /// Registers the built-ins once, unless the program already did.
    static let ensured: Void = {
        if BuiltinBackends.all.contains(where: { EncoderBackends.backend(id: $0.id) == nil }) {
            BuiltinBackends.bootstrap()
        }
    }()
}
