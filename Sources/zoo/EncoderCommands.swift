import ArgumentParser
import Foundation
import ZooKit
import ZooHub
import Registry
import Runtime

/// `zoo encoder …`: register, list, show and remove encoders.
struct EncoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder", abstract: "Register, list, show and remove vision and text encoders.",
        subcommands: [EncoderAdd.self, EncoderList.self, EncoderShow.self, EncoderRemove.self])
}

extension Modality: ExpressibleByArgument {}

/// `zoo encoder add NAME --from DIR …`
struct EncoderAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register an encoder from a checkpoint folder in Hugging Face layout.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unique name, e.g. all-roberta-large-v1.")
    var name: String

    @Option(help: "vision or text (default: the backend's).")
    var modality: Modality?

    @Option(help: "Backend id (default: from config.json's model_type). 'zoo backend list' shows them.")
    var backend: String?

    @Option(help: ArgumentHelp(
        "Checkpoint folder (config.json, *.safetensors, tokenizer/preprocessor files), or hf:ORG/REPO[@REVISION]: from the Hugging Face cache, else downloaded from HF_ENDPOINT into it.",
        valueName: "dir|hf:org/repo[@rev]"))
    var from: String

    @Option(name: .customLong("alias"), help: "Another name (repeatable), e.g. --alias roberta.")
    var aliases: [String] = []

    @Option(help: "License of the weights, e.g. apache-2.0.")
    var license: String?

    @Option(help: "Where the weights came from: HF repo id, URL or path (default: the folder).")
    var source: String?

    @Flag(help: "Hard-link the files into the store instead of copying them.")
    var link = false

    @Flag(help: "Replace an existing encoder of the same name.")
    var replace = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        if HubReference.isReference(from) { return try addFromHub(try HubReference(parsing: from)) }
        var request = EncoderRegistration.Request(name: name, folder: URL(fileURLWithPath: (from as NSString).expandingTildeInPath))
        request.backend = backend
        request.modality = modality
        request.aliases = aliases
        request.license = license
        request.source = source
        request.link = link
        request.replace = replace
        let entry = try EncoderRegistration.add(request, zoo: try global.openZoo())
        if output.json {
            try Output.json(EncoderJSON(entry))
        } else {
            print("registered \(entry.record.modality.rawValue) encoder '\(entry.name)' (backend \(entry.record.backend), \(entry.checkpoint.fileListCount) files, \(Output.bytes(entry.checkpoint.totalBytes)), checkpoint \(entry.checkpoint.digest.prefix(12)))")
        }
    }
}

extension EncoderAdd {
    /// `--from hf:ORG/REPO[@REVISION]`.
    func addFromHub(_ reference: HubReference) throws {
        let zoo = try global.openZoo()
        var request = EncoderRegistration.Request(name: name, folder: zoo.home.url)
        request.backend = backend
        request.modality = modality
        request.aliases = aliases
        request.license = license
        request.link = link
        request.replace = replace
        let progress = DownloadProgress(label: reference.repository)
        let settled = request
        let added = try BlockingTask.run { try await HubEncoders.add(settled, from: reference, zoo: zoo, observer: progress) }.get()
        progress.finish()
        let entry = added.entry
        let snapshot = added.snapshot
        if output.json {
            var json = EncoderJSON(entry)
            json.hub = .init(
                repository: reference.repository, revision: reference.revision, commit: snapshot.commit, snapshot: snapshot.folder.path,
                fromCache: snapshot.fromCache, downloadedBytes: snapshot.downloadedBytes)
            try Output.json(json)
        } else {
            let origin = snapshot.fromCache ? "from the cache" : "downloaded \(Output.bytes(snapshot.downloadedBytes))"
            print("\(reference) is commit \(snapshot.commit) (\(origin); snapshot \(snapshot.folder.path))")
            print("registered \(entry.record.modality.rawValue) encoder '\(entry.name)' (backend \(entry.record.backend), \(entry.checkpoint.fileListCount) files, \(Output.bytes(entry.checkpoint.totalBytes)), checkpoint \(entry.checkpoint.digest.prefix(12)), license \(entry.record.license ?? "not stated"))")
        }
    }
}

/// `zoo encoder list [PATTERN]`
struct EncoderList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List encoders, optionally those whose name or alias matches a glob like '*dino*'.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Glob over names and aliases, e.g. '*minilm*' (case-insensitive).")
    var pattern: String?

    @Option(help: "Only vision or only text encoders.")
    var modality: Modality?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let entries = try zoo.catalog.encoders(matching: pattern.map(Glob.init), modality: modality)
        if output.json {
            try Output.json(entries.map(EncoderJSON.init))
            return
        }
        if entries.isEmpty {
            print(pattern == nil ? "no encoders registered; add one with 'zoo encoder add'" : "no encoder matches '\(pattern!)'")
            return
        }
        Output.table(
            ["NAME", "ALIASES", "MODALITY", "BACKEND", "WIDTH", "SIZE", "CHECKPOINT"],
            entries.map { entry in
                [entry.name, entry.aliases.joined(separator: ","), entry.record.modality.rawValue, entry.record.backend,
                 entry.record.pooledWidth.map(String.init) ?? "-", Output.bytes(entry.checkpoint.totalBytes),
                 String(entry.checkpoint.digest.prefix(12))]
            })
    }
}

/// `zoo encoder show NAME`
struct EncoderShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one encoder in full.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var name: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let entry = try zoo.catalog.encoder(named: name)
        if output.json {
            try Output.json(EncoderJSON(entry))
            return
        }
        let record = entry.record
        let rows: [[String]] = [
            ["name", record.name],
            ["aliases", entry.aliases.joined(separator: ", ")],
            ["modality", record.modality.rawValue],
            ["backend", record.backend],
            ["pooled width", record.pooledWidth.map(String.init) ?? "-"],
            ["token width", record.tokenWidth.map(String.init) ?? "-"],
            ["source", record.source ?? "-"],
            ["license", record.license ?? "-"],
            ["checkpoint", entry.checkpoint.digest],
            ["size", "\(Output.bytes(entry.checkpoint.totalBytes)) in \(entry.checkpoint.fileListCount) files"],
            ["folder", zoo.store.folder(for: entry.checkpoint.digest).path],
            ["created", Output.date(record.createdAt)],
        ]
        Output.table(["FIELD", "VALUE"], rows)
    }
}

/// `zoo encoder remove NAME`
struct EncoderRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove an encoder (refused while projectors use it, unless --force).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var name: String

    @Flag(help: "Also remove the projectors (and their evaluations) that use it.")
    var force = false

    func run() throws {
        let zoo = try global.openZoo()
        let released = try zoo.removeEncoder(named: name, force: force)
        print("removed encoder '\(name)'" + (released.isEmpty ? "" : "; deleted \(released.count) unused checkpoint(s)"))
    }
}

/// JSON shape of an encoder (docs/CLI.md).
struct EncoderJSON: Encodable {
    /// One stored file of the checkpoint.
    struct File: Encodable {
        let path: String
        let bytes: Int64
        let sha256: String
    }

    /// The checkpoint the encoder's files are stored under.
    struct Checkpoint: Encodable {
        let digest: String
        let totalBytes: Int64
        let format: String
        let files: [File]

        enum CodingKeys: String, CodingKey {
            case digest, format, files
            case totalBytes = "total_bytes"
        }
    }

    let name: String
    let aliases: [String]
    let modality: String
    let backend: String
    @NullWhenNil var pooledWidth: Int?
    @NullWhenNil var tokenWidth: Int?
    @NullWhenNil var source: String?
    @NullWhenNil var license: String?
    let config: JSONValue
    let preprocessing: JSONValue
    let checkpoint: Checkpoint
    let createdAt: String
    /// Where `--from hf:…` resolved (only in `zoo encoder add`'s answer).
    var hub: HubJSON?

    /// How an `hf:` reference was resolved.
    struct HubJSON: Encodable {
        let repository: String
        let revision: String
        let commit: String
        let snapshot: String
        let fromCache: Bool
        let downloadedBytes: Int64

        enum CodingKeys: String, CodingKey {
            case repository, revision, commit, snapshot
            case fromCache = "from_cache"
            case downloadedBytes = "downloaded_bytes"
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, aliases, modality, backend, source, license, config, preprocessing, checkpoint, hub
        case pooledWidth = "pooled_width"
        case tokenWidth = "token_width"
        case createdAt = "created_at"
    }

    init(_ entry: EncoderEntry) {
        let record = entry.record
        let files = (try? entry.checkpoint.fileList()) ?? []
        name = record.name
        aliases = entry.aliases
        modality = record.modality.rawValue
        backend = record.backend
        pooledWidth = record.pooledWidth
        tokenWidth = record.tokenWidth
        source = record.source
        license = record.license
        config = JSONValue(parsing: record.config)
        preprocessing = JSONValue(parsing: record.preprocessing)
        checkpoint = Checkpoint(
            digest: entry.checkpoint.digest, totalBytes: entry.checkpoint.totalBytes, format: entry.checkpoint.format,
            files: files.map { File(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) })
        createdAt = Output.date(record.createdAt)
    }
}

extension CheckpointRecord {
    /// Number of files, 0 when the list cannot be read.
    var fileListCount: Int { (try? fileList().count) ?? 0 }
}
