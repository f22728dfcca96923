import ArgumentParser
import Foundation
import ZooKit
import Plugins
import Registry
import Runtime

/// `zoo plugin …`: register, list and remove external encoder backends.
struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Register, list and remove external encoder backends (shared libraries, docs/PLUGINS.md).",
        subcommands: [PluginAdd.self, PluginList.self, PluginRemove.self])
}

/// `zoo plugin add PATH [--replace]`
struct PluginAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Load a plugin library to check it, then record its path, SHA-256 and ABI version.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The plugin's shared library, e.g. libzoo_pixel_stats.so.", valueName: "path"))
    var path: String

    @Flag(help: "Replace a registered plugin of the same name or path (e.g. after rebuilding it).")
    var replace = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let absolute = URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
        let hash = try PluginFile.sha256(atPath: absolute)
        let library = try PluginResolution.load(path: absolute)
        guard try PluginFile.sha256(atPath: absolute) == hash else {
            throw ZooError(.data, "'\(absolute)' changed while zoo was loading it; run 'zoo plugin add' again once its build has finished")
        }
        let zoo = try global.openZoo()
        let record = try zoo.catalog.addPlugin(
            NewPlugin(name: library.name, modality: library.modality,
                      summary: library.summary, path: absolute, sha256: hash, abiVersion: library.abiVersion),
            replace: replace)
        if output.json {
            try Output.json(PluginJSON(record, status: .ok))
        } else {
            print("registered \(record.modality.rawValue) plugin '\(record.name)' (backend \(library.backendID), ABI \(record.abiVersion), sha256 \(record.sha256.prefix(12))) from \(record.path)")
        }
    }
}

/// `zoo plugin list`
struct PluginList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List registered plugins, re-checking each file's SHA-256.")

    @OptionGroup var global: GlobalOptions

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let records = try zoo.catalog.plugins()
        let rows = records.map { ($0, PluginFile.status(of: $0)) }
        if output.json {
            try Output.json(rows.map { PluginJSON($0.0, status: $0.1) })
            return
        }
        if records.isEmpty {
            print("no plugins registered; add one with 'zoo plugin add PATH'")
            return
        }
        Output.table(
            ["NAME", "BACKEND", "MODALITY", "ABI", "STATUS", "SHA256", "PATH"],
            rows.map { record, status in
                [record.name, "plugin:\(record.name)", record.modality.rawValue, String(record.abiVersion),
                 status.rawValue, String(record.sha256.prefix(12)), record.path]
            })
    }
}

/// `zoo plugin remove NAME`
struct PluginRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Forget a plugin (refused while encoders use it); its file is left alone.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Plugin name, as 'zoo plugin list' shows it.")
    var name: String

    func run() throws {
        let zoo = try global.openZoo()
        let removed = try zoo.catalog.removePlugin(named: name)
        print("removed plugin '\(removed.name)' (\(removed.path) was left in place)")
    }
}

/// JSON shape of a plugin (docs/PLUGINS.md).
struct PluginJSON: Encodable {
    let name: String
    let backend: String
    let modality: String
    let summary: String
    let path: String
    let sha256: String
    let abiVersion: Int
    let status: String
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case name, backend, modality, summary, path, sha256, status
        case abiVersion = "abi_version"
        case createdAt = "created_at"
    }

    init(_ record: PluginRecord, status: PluginFileStatus) {
        name = record.name
        backend = "plugin:\(record.name)"
        modality = record.modality.rawValue
        summary = record.summary
        path = record.path
        sha256 = record.sha256
        abiVersion = record.abiVersion
        self.status = status.rawValue
        createdAt = Output.date(record.createdAt)
    }
}
