import Foundation
import Runtime

/// An encoder backend provided by a loaded plugin library, with id `plugin:NAME`.
/// ``PluginLibrary/backend()`` returns a ``PluginVisionBackend`` or a ``PluginTextBackend``
/// according to the plugin's modality.
public protocol PluginBackend: EncoderBackend {
    /// The loaded, checked library.
    var library: PluginLibrary { get }
}

extension PluginBackend {
    /// `plugin:NAME`.
    public var id: String { library.backendID }
    /// The plugin's modality.
    public var modality: Modality { library.modality }
    /// The plugin's description and file.
    public var summary: String {
        (library.summary.isEmpty ? "external \(library.modality.rawValue) plugin" : library.summary) + " (\(library.path))"
    }
    /// Plugins are chosen with `--backend plugin:NAME`, never by `model_type`.
    public var modelTypes: [String] { [] }

    /// Creates the model in `folder` once, through the plugin, and reports its widths; a
    /// failure carries the plugin's own message.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let model = try openModel(folder: folder)
        return CheckpointInspection(pooledWidth: model.info.pooledWidth, tokenWidth: model.info.tokenWidth)
    }

    /// Creates the plugin's model for `folder`.
    func openModel(folder: URL) throws(PluginError) -> PluginModel {
        try PluginModel.open(library: library, folder: folder)
    }
}

/// The backend of a vision plugin.
public struct PluginVisionBackend: PluginBackend, VisionEncoderBackend {
    /// The loaded library (its modality is vision).
    public let library: PluginLibrary

    /// Loads the plugin's model for `folder`.
    public func loadVisionEncoder(folder: URL) throws -> any VisionEncoder {
        PluginVisionEncoder(model: try openModel(folder: folder))
    }
}

/// The backend of a text plugin.
public struct PluginTextBackend: PluginBackend, TextEncoderBackend {
    /// The loaded library (its modality is text).
    public let library: PluginLibrary

    /// Loads the plugin's model for `folder`.
    public func loadTextEncoder(folder: URL) throws -> any TextEncoder {
        PluginTextEncoder(model: try openModel(folder: folder))
    }
}

extension PluginLibrary {
    /// The backend for this library, of its modality.
    public func backend() -> any PluginBackend {
        switch modality {
        case .vision: return PluginVisionBackend(library: self)
        case .text: return PluginTextBackend(library: self)
        }
    }
}
