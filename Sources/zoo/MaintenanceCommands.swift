import ArgumentParser
import Foundation
import ZooKit
import Plugins
import Registry
import Runtime

/// `zoo verify`: re-hash every checkpoint and compare the store with the catalog.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every stored checkpoint; report missing, corrupt and orphaned files (exit 65 when any).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let report = try zoo.verify()
        if output.json {
            try Output.json(VerifyJSON(report))
        } else {
            print("checked \(report.checked) checkpoint(s): \(report.missing.count) missing, \(report.corrupt.count) corrupt, \(report.orphaned.count) orphaned")
            for file in report.missing { print("missing   \(file)") }
            for item in report.corrupt { print("corrupt   \(item.file): \(item.reason)") }
            for name in report.orphaned { print("orphaned  \(name)  (run 'zoo gc' to remove)") }
        }
        if !report.ok { throw ExitCode(ZooError.Kind.data.rawValue) }
    }
}

/// `zoo gc`: remove leftovers of interrupted writes and unused checkpoints.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Remove temporary folders, orphaned checkpoint folders and unused checkpoints.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let removed = try zoo.collectGarbage()
        if output.json {
            try Output.json(GCJSON(removed: removed))
        } else {
            print("removed \(removed.count) item(s)")
            for name in removed { print("  \(name)") }
        }
    }
}

/// `zoo backend list`: the registered encoder backends.
struct BackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend", abstract: "Encoder backends.", subcommands: [BackendList.self])
}

/// `zoo backend list` (also `zoo backends`): built-in backends and the plugins of the zoo home.
struct BackendList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the encoder backends: built-in ones and the home's registered plugins.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var rows = EncoderBackends.all.map {
            BackendJSON(id: $0.id, kind: "built-in", modality: $0.modality.rawValue, modelTypes: $0.modelTypes, summary: $0.summary)
        }
        let zoo = try global.openZoo()
        for plugin in try zoo.catalog.plugins() {
            rows.append(BackendJSON(id: "plugin:\(plugin.name)", kind: "plugin", modality: plugin.modality.rawValue, modelTypes: [],
                                    summary: plugin.summary))
        }
        if output.json {
            try Output.json(rows)
        } else {
            Output.table(["ID", "KIND", "MODALITY", "MODEL TYPES", "SUMMARY"], rows.map {
                [$0.id, $0.kind, $0.modality, $0.modelTypes.joined(separator: ","), $0.summary]
            })
        }
    }
}

/// `zoo backends`: shorthand for `zoo backend list`.
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends", abstract: "List the encoder backends (same as 'zoo backend list').")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var list = BackendList()
        list.global = global
        list.output = output
        try list.run()
    }
}

/// `zoo version`: versions of zoo, its schema and the libraries it links.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print zoo's version, catalog schema and linked libraries.")

    @OptionGroup var output: OutputOptions

    func run() throws {
        let info = VersionJSON(
            zoo: ZooVersion.current,
            schema: Catalog.knownMigrations.last ?? "",
            openblas: BLASInfo.configuration,
            libarchive: ZooVersion.libarchive,
            kernels: "\(KernelPath.name(lanes: KernelPath.lanes)) (\(KernelPath.lanes) lanes; this CPU runs \(KernelPath.supported.map(String.init).joined(separator: ", ")))")
        if output.json {
            try Output.json(info)
        } else {
            Output.table(["COMPONENT", "VERSION"], info.rows)
        }
    }
}

/// JSON shape of `zoo verify`'s report.
struct VerifyJSON: Encodable {
    /// A stored file whose content differs from the catalog.
    struct Corruption: Encodable {
        let file: String
        let reason: String
    }

    let ok: Bool
    let checked: Int
    let missing: [String]
    let corrupt: [Corruption]
    let orphaned: [String]

    init(_ report: VerifyReport) {
        ok = report.ok
        checked = report.checked
        missing = report.missing
        corrupt = report.corrupt.map { Corruption(file: $0.file, reason: $0.reason) }
        orphaned = report.orphaned
    }
}

/// JSON shape of `zoo gc`'s result: the store entries it removed.
struct GCJSON: Encodable {
    let removed: [String]
}

/// JSON shape of one encoder backend in `zoo backend list`.
struct BackendJSON: Encodable {
    let id: String
    /// `built-in` or `plugin`.
    let kind: String
    let modality: String
    let modelTypes: [String]
    let summary: String

    enum CodingKeys: String, CodingKey {
        case id, kind, modality, summary
        case modelTypes = "model_types"
    }
}

/// JSON shape of `zoo version`.
struct VersionJSON: Encodable {
    let zoo: String
    let schema: String
    let openblas: String
    let libarchive: String
    let kernels: String

    /// The components and their versions, by component name (the table of `zoo version`).
    var rows: [[String]] {
        [["kernels", kernels], ["libarchive", libarchive], ["openblas", openblas], ["schema", schema], ["zoo", zoo]]
    }
}
