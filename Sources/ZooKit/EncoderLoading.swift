import Foundation
import Plugins
import Registry
import Runtime

/// Turns a catalog entry into a loaded encoder through the backend table.
public enum EncoderLoading {
    /// A loaded encoder of either modality.
    public enum Loaded {
        case text(any TextEncoder)
        case vision(any VisionEncoder, preprocessor: ImagePreprocessor?)
    }

    /// The registered encoder `name`, loaded from its stored checkpoint.
    public static func encoder(_ name: String, zoo: ModelZoo) throws -> (EncoderEntry, Loaded) {
        let entry = try zoo.catalog.encoder(named: name)
        try PluginResolution.prepare(entry.record.backend, zoo: zoo)
        BuiltinRegistration.ensured
        guard let backend = EncoderBackends.backend(id: entry.record.backend) else {
            throw ZooError(.data, "encoder '\(entry.name)' uses backend '\(entry.record.backend)', which this zoo does not have; load its plugin or re-register the encoder")
        }
        let folder = zoo.store.folder(for: entry.checkpoint.digest)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw ZooError(.noInput, "the checkpoint of '\(entry.name)' is missing from '\(folder.path)'; run 'zoo verify' and re-add the encoder")
        }
        let started = Date()
        defer {
            ZooLog.runtime.debug("loaded \(entry.record.modality.rawValue) encoder '\(entry.name)' (backend \(backend.id)) from \(folder.path) in \(String(format: "%.3f", Date().timeIntervalSince(started))) s; \(ZooLog.computeSummary)")
        }
        if let textBackend = backend as? any TextEncoderBackend {
            return (entry, .text(try textBackend.loadTextEncoder(folder: folder)))
        }
        if let visionBackend = backend as? any VisionEncoderBackend {
            let encoder = try visionBackend.loadVisionEncoder(folder: folder)
            let config = folder.appendingPathComponent("preprocessor_config.json")
            var preprocessor: ImagePreprocessor?
            if FileManager.default.fileExists(atPath: config.path) {
                do { preprocessor = try ImagePreprocessor(contentsOf: config) } catch {
                    throw ZooError(.data, "\(error)")
                }
            }
            return (entry, .vision(encoder, preprocessor: preprocessor))
        }
        throw ZooError(.data, "backend '\(backend.id)' of encoder '\(entry.name)' cannot run encoders in this build")
    }

    /// The registered text encoder `name`.
    public static func textEncoder(_ name: String, zoo: ModelZoo) throws -> (EncoderEntry, any TextEncoder) {
        let (entry, loaded) = try encoder(name, zoo: zoo)
        guard case .text(let encoder) = loaded else {
            throw ZooError(.usage, "'\(entry.name)' is a \(entry.record.modality.rawValue) encoder; this command needs a text encoder")
        }
        return (entry, encoder)
    }

    /// The registered vision encoder `name` with its preprocessor.
    public static func visionEncoder(_ name: String, zoo: ModelZoo) throws -> (EncoderEntry, any VisionEncoder, ImagePreprocessor?) {
        let (entry, loaded) = try encoder(name, zoo: zoo)
        guard case .vision(let encoder, let preprocessor) = loaded else {
            throw ZooError(.usage, "'\(entry.name)' is a \(entry.record.modality.rawValue) encoder; this command needs a vision encoder")
        }
        return (entry, encoder, preprocessor)
    }
}

extension ZooError {
    /// The CLI's view of an image failure: a missing file is 66, anything else 65.
    public static func image(_ error: ImageError) -> ZooError {
        if case .unreadable(let file, _) = error, !FileManager.default.fileExists(atPath: file) {
            return ZooError(.noInput, "\(error.description); check the path")
        }
        return ZooError(.data, "\(error.description)")
    }
}
