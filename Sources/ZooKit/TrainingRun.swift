import Foundation
import Registry
import Runtime

/// The on-disk side of one training run: `runs/VISION+TEXT@TAG/` in the zoo home, holding
/// `run.json` (what is being trained, on what) and `state.safetensors` (the state after the last
/// finished epoch, replaced atomically). Removed once the projector is stored.
public struct TrainingRun {
    public let folder: URL
    public let architecture: ProjectorArchitecture
    public let configuration: TrainingConfiguration
    public let dataset: String
    public let idsDigest: String

    /// A run in `folder` of `architecture` trained with `configuration` on `dataset` (whose ids
    /// have `idsDigest`).
    public init(
        folder: URL, architecture: ProjectorArchitecture, configuration: TrainingConfiguration, dataset: String, idsDigest: String
    ) {
        self.folder = folder
        self.architecture = architecture
        self.configuration = configuration
        self.dataset = dataset
        self.idsDigest = idsDigest
    }

    private var stateURL: URL { folder.appendingPathComponent("state.safetensors") }
    private var manifestURL: URL { folder.appendingPathComponent("run.json") }

    /// What `run.json` holds.
    public struct Manifest: Codable, Equatable {
        var architecture: ProjectorArchitecture
        var configuration: TrainingConfiguration
        public var dataset: String
        var idsDigest: String

        enum CodingKeys: String, CodingKey {
            case architecture, configuration, dataset
            case idsDigest = "ids_digest"
        }
    }

    private var manifest: Manifest {
        Manifest(architecture: architecture, configuration: configuration, dataset: dataset, idsDigest: idsDigest)
    }

    /// A fresh trainer, or with `resume` the one saved after the last finished epoch.
    public func start(resume: Bool, pairs: Int) throws -> ProjectorTrainer {
        let fileManager = FileManager.default
        let hasState = fileManager.fileExists(atPath: stateURL.path)
        if resume {
            guard fileManager.fileExists(atPath: manifestURL.path) else {
                throw ZooError(.noInput, "there is no interrupted run in '\(folder.path)' to resume; start one without --resume")
            }
            let saved: Manifest
            do { saved = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL)) } catch {
                throw ZooError(.data, "'\(manifestURL.path)' is unreadable (\(error)); remove '\(folder.path)' and train again")
            }
            guard saved == manifest else {
                throw ZooError(.usage, "the interrupted run in '\(folder.path)' was started with other settings or data (\(Self.difference(saved, manifest))); resume with the same options, or remove the folder")
            }
            guard hasState else { return try fresh(pairs: pairs) }
            return try ProjectorTrainer(checkpoint: stateURL, architecture: architecture, configuration: configuration, pairs: pairs)
        }
        if hasState {
            throw ZooError(.data, "an interrupted run of this pair and tag is in '\(folder.path)'; pass --resume to continue it, or remove the folder to start over")
        }
        do {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            try DurableFile.write(try JSONEncoder.stable.encode(manifest), to: manifestURL)
        } catch {
            throw ZooError(.io, "cannot write the run folder '\(folder.path)': \(error.localizedDescription)")
        }
        return try fresh(pairs: pairs)
    }

    private func fresh(pairs: Int) throws -> ProjectorTrainer {
        try ProjectorTrainer(architecture: architecture, configuration: configuration, pairs: pairs)
    }

    /// Saves the state after an epoch (atomically: the previous state survives any failure).
    public func save(_ trainer: ProjectorTrainer) throws {
        try trainer.saveCheckpoint(to: stateURL)
    }

    /// Stores the trained projector and records it; removes the run folder.
    public func finish(
        _ trainer: ProjectorTrainer, zoo: ModelZoo, vision: EncoderEntry, text: EncoderEntry, tag: String,
        pairs: CachedPairData, contents: DatasetContents, captionsCount: Int
    ) throws -> ProjectorRecord {
        let final = folder.appendingPathComponent("final")
        try? FileManager.default.removeItem(at: final)
        do {
            try FileManager.default.createDirectory(at: final, withIntermediateDirectories: true)
            try Data(architecture.jsonString.utf8).write(to: final.appendingPathComponent("config.json"))
            try trainer.projector.save(to: final.appendingPathComponent("projector.safetensors"))
        } catch let error as PairProjectorCheckpointError {
            throw ZooError(.io, "cannot write the projector: \(error)")
        } catch {
            throw ZooError(.io, "cannot write '\(final.path)': \(error.localizedDescription)")
        }
        let checkpoint = try CheckpointFolder(url: final)
        var trainingConfig = (try? JSONSerialization.jsonObject(with: JSONEncoder.stable.encode(configuration))) as? [String: Any] ?? [:]
        trainingConfig["threads"] = ComputeThreads.count
        trainingConfig["temperature_final"] = Double(trainer.loss.temperature)
        trainingConfig["steps"] = trainer.step
        trainingConfig["zoo_version"] = ZooVersion.current
        trainingConfig["temperature_decay"] = false
        let dataSummary: [String: Any] = [
            "dataset": dataset, "items": pairs.count, "ids_digest": idsDigest, "captions": captionsCount,
            "vision_cache": pairs.visionCache.folder.lastPathComponent, "text_cache": pairs.textCache.folder.lastPathComponent,
        ]
        let record = ProjectorRecord(
            id: nil, visionEncoderId: vision.record.id!, textEncoderId: text.record.id!,
            architecture: architecture.jsonString, checkpointDigest: "",
            trainingConfig: try Self.json(trainingConfig), dataSummary: try Self.json(dataSummary), tag: tag,
            createdAt: Date(), finalLoss: trainer.history.last?.loss,
            history: String(decoding: try JSONEncoder.stable.encode(trainer.history), as: UTF8.self))
        let stored = try zoo.addProjector(record, from: checkpoint)
        try? FileManager.default.removeItem(at: folder)
        return stored
    }

    private static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    private static func difference(_ saved: Manifest, _ now: Manifest) -> String {
        if saved.dataset != now.dataset || saved.idsDigest != now.idsDigest { return "dataset \(saved.dataset) then, \(now.dataset) now, or its items changed" }
        if saved.architecture != now.architecture { return "architecture \(saved.architecture.jsonString) then" }
        return "training settings \(String(decoding: (try? JSONEncoder.stable.encode(saved.configuration)) ?? Data(), as: UTF8.self)) then"
    }
}

extension JSONEncoder {
    /// Sorted keys, unescaped slashes.
    static var stable: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
