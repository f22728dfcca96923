import Foundation
import Plugins
import Registry
import Runtime

/// `zoo encoder add`'s use-case: register a checkpoint folder as an encoder. The backend is the
/// one named, else the one whose architecture reads config.json's `model_type`; it loads the
/// whole model first, so a folder it cannot run is refused before anything is stored.
public enum EncoderRegistration {
    /// What to register.
    public struct Request: Sendable {
        /// The unique name.
        public var name: String
        /// The checkpoint folder (Hugging Face layout).
        public var folder: URL
        /// The backend id; nil picks it by `model_type`.
        public var backend: String?
        /// The modality the caller expects; nil accepts the backend's.
        public var modality: Modality?
        /// Other names.
        public var aliases: [String] = []
        /// The weights' license.
        public var license: String?
        /// Where the weights came from; nil records the folder.
        public var source: String?
        /// Hard-link the files into the store instead of copying them.
        public var link = false
        /// Replace an existing encoder of the same name.
        public var replace = false

        /// A request to register `folder` as `name`.
        public init(name: String, folder: URL) {
            self.name = name
            self.folder = folder
        }
    }

    /// Registers the encoder of `request`; `zoo` is opened only once the folder has passed.
    ///
    /// - Throws: ``ZooError`` (unknown backend or a modality that disagrees: 64; a folder that
    ///   is not a checkpoint: 65/66), or the backend's ``ReportableError`` naming the file, key
    ///   or tensor it could not use.
    public static func add(_ request: Request, zoo: @autoclosure () throws -> ModelZoo) throws -> EncoderEntry {
        let folderURL = request.folder.standardizedFileURL
        let folder = try CheckpointFolder(url: folderURL)
        let chosen = try backend(request.backend, folder: folder, modality: request.modality, zoo: zoo)
        if let modality = request.modality, modality != chosen.modality {
            throw ZooError(.usage, "backend '\(chosen.id)' is a \(chosen.modality.rawValue) backend but --modality is \(modality.rawValue); drop --modality or pick another --backend")
        }
        let inspection = try chosen.inspect(folder: folderURL)
        return try zoo().addEncoder(
            NewEncoder(
                name: request.name, aliases: request.aliases, modality: chosen.modality,
                backend: chosen.id, pooledWidth: inspection.pooledWidth, tokenWidth: inspection.tokenWidth,
                source: request.source ?? folderURL.path, license: request.license),
            from: folder, link: request.link, replace: request.replace)
    }

    /// The backend `id` (a plugin's is loaded from the catalog first), or the one that reads the
    /// folder's `model_type` for `modality`. A `model_type` that two backends read (a full CLIP
    /// checkpoint holds a vision and a text tower) needs `modality` to choose.
    static func backend(
        _ id: String?, folder: CheckpointFolder, modality: Modality? = nil, zoo: () throws -> ModelZoo
    ) throws -> any EncoderBackend {
        BuiltinRegistration.ensured
        if let id, PluginLibrary.pluginName(backendID: id) != nil, EncoderBackends.backend(id: id) == nil {
            try PluginResolution.prepare(id, zoo: zoo())
        }
        let known = EncoderBackends.all.map(\.id)
        if let id {
            guard let found = EncoderBackends.backend(id: id) else {
                throw ZooError(.usage, "unknown backend '\(id)'.\(NameSuggester.hint(for: id, in: known)) Known backends: \(known.joined(separator: ", "))")
            }
            return found
        }
        guard let type = HuggingFaceModelType.read(folder: folder.url) else {
            throw ZooError(.usage, "'\(folder.url.path)/config.json' has no model_type; pass --backend (\(known.joined(separator: ", ")))")
        }
        let readers = EncoderBackends.all.filter { $0.modelTypes.contains(type) }
        guard !readers.isEmpty else {
            throw ZooError(.usage, "no backend reads model_type '\(type)' from '\(folder.url.path)/config.json'; pass --backend (\(known.joined(separator: ", "))) or load a plugin")
        }
        // One reader: a modality that disagrees is reported by the caller.
        if readers.count == 1 { return readers[0] }
        let fitting = readers.filter { modality == nil || $0.modality == modality }
        guard fitting.count == 1 else {
            let choices = readers.map { "--modality \($0.modality.rawValue) (backend \($0.id))" }.joined(separator: " or ")
            throw ZooError(.usage, "'\(folder.url.path)' (model_type '\(type)') holds \(readers.count) encoders; choose one with \(choices)")
        }
        return fitting[0]
    }
}
