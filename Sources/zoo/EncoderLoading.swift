import Foundation
import Registry
import Runtime

/// Turns a catalog entry into a loaded encoder through the backend table.
enum EncoderLoading {
    /// The registered text encoder `name`, loaded from its stored checkpoint.
    static func textEncoder(_ name: String, zoo: ModelZoo) throws -> (EncoderEntry, any TextEncoder) {
        let entry = try zoo.catalog.encoder(named: name)
        guard let backend = EncoderBackends.backend(id: entry.record.backend) else {
            throw ZooError(.data, "encoder '\(entry.name)' uses backend '\(entry.record.backend)', which this zoo does not have; load its plugin or re-register the encoder")
        }
        guard let textBackend = backend as? any TextEncoderBackend else {
            throw ZooError(.usage, "'\(entry.name)' is a \(backend.modality.rawValue) encoder; this command needs a text encoder")
        }
        let folder = zoo.store.folder(for: entry.checkpoint.digest)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw ZooError(.noInput, "the checkpoint of '\(entry.name)' is missing from '\(folder.path)'; run 'zoo verify' and re-add the encoder")
        }
        return (entry, try textBackend.loadTextEncoder(folder: folder))
    }
}
