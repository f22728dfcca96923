import ArgumentParser
import Foundation
import ZooHub
import ZooKit
import Registry

/// `zoo pack PAIR [--output FILE.zoo]`
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Write a projector, its manifest and a model card into one tar + zstd archive (docs/ARCHIVES.md).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "VISION+TEXT[@TAG] (newest tag when omitted).")
    var pair: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The archive to write (default: VISION+TEXT@TAG.zoo here, '/' in names as '_').", valueName: "file.zoo"))
    var output: String?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let reference = try PairReference(parsing: pair)
        let zoo = try global.openZoo()
        let url = output.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).standardizedFileURL }
        let packed = try zoo.pack(reference, to: url)
        if outputOptions.json {
            try Output.json(PackJSON(
                pair: packed.entry.reference, archive: packed.url.path, bytes: packed.bytes, sha256: packed.sha256,
                checkpointDigest: packed.manifest.projector.checkpointDigest))
            return
        }
        print("packed \(packed.entry.reference) into \(packed.url.path) (\(Output.bytes(packed.bytes)), sha256 \(packed.sha256))")
    }
}

/// `zoo import FILE.zoo [--as TAG] [--json]`
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Verify a projector archive written by 'zoo pack' and register its projector (docs/ARCHIVES.md).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The archive.", valueName: "file.zoo"))
    var archive: String

    @Option(name: .customLong("as"), help: ArgumentHelp("Record the projector under this tag instead of the archive's.", valueName: "tag"))
    var tag: String?

    @Flag(help: "Fetch the encoders the archive needs and this zoo lacks from their recorded hf: source (Hugging Face cache, else the Hub); each must give the checkpoint digest the archive recorded.")
    var fetch = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let url = URL(fileURLWithPath: (archive as NSString).expandingTildeInPath).standardizedFileURL
        let zoo = try global.openZoo()
        if fetch {
            let progress = DownloadProgress(label: url.lastPathComponent)
            let fetched = try BlockingTask.run { try await HubEncoders.fetchMissing(for: url, zoo: zoo, observer: progress) }.get()
            progress.finish()
            for encoder in fetched where !output.json {
                print("fetched encoder '\(encoder.name)' from \(encoder.source) (\(Output.bytes(encoder.downloadedBytes)) downloaded, checkpoint \(encoder.digest.prefix(12)) as the archive recorded)")
            }
        }
        let imported = try zoo.importArchive(url, as: tag)
        if output.json {
            try Output.json(ImportJSON(projector: ProjectorJSON(imported.entry), archive: url.path, alreadyStored: imported.alreadyStored))
            return
        }
        print("imported \(imported.entry.reference) (checkpoint \(imported.entry.record.checkpointDigest.prefix(12))) from \(url.path)")
    }
}

/// JSON shape of `zoo pack`'s result.
struct PackJSON: Encodable {
    let pair: String
    let archive: String
    let bytes: Int64
    let sha256: String
    let checkpointDigest: String

    enum CodingKeys: String, CodingKey {
        case pair, archive, bytes, sha256
        case checkpointDigest = "checkpoint_digest"
    }
}

/// JSON shape of `zoo import`'s result: the projector object with the archive's path and
/// whether the checkpoint was already in the store.
struct ImportJSON: Encodable {
    let projector: ProjectorJSON
    let archive: String
    let alreadyStored: Bool

    enum CodingKeys: String, CodingKey {
        case archive
        case alreadyStored = "already_stored"
    }

    func encode(to encoder: any Encoder) throws {
        try projector.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(archive, forKey: .archive)
        try container.encode(alreadyStored, forKey: .alreadyStored)
    }
}
