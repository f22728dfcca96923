import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo dataset …`: register, list, show and remove datasets.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Register, list, show and remove datasets (WebDataset shards, ImageFolder, JSONL, IDX).",
        subcommands: [DatasetAdd.self, DatasetList.self, DatasetShow.self, DatasetRemove.self])
}

extension DatasetFormat: ExpressibleByArgument {}
extension DatasetTask: ExpressibleByArgument {}

/// `zoo dataset add NAME --path P --format F …`
struct DatasetAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register a dataset after checking that its layout can be read (the data stays where it is).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Unique name, e.g. fashion-mnist-train.")
    var name: String

    @Option(help: ArgumentHelp("Folder, file or shard pattern (e.g. /data/pairs-{00000..00123}.tar).", valueName: "path"))
    var path: String

    @Option(help: "Layout: wds, imagefolder, jsonl or idx.")
    var format: DatasetFormat

    @Option(help: "pairs, classification or retrieval (default: what the layout holds).")
    var task: DatasetTask?

    @Option(help: ArgumentHelp("Class names, one per line (default: the layout's, e.g. classnames.txt).", valueName: "file"))
    var classnames: String?

    @Option(help: ArgumentHelp("Zero-shot prompt templates, one per line with {c} (default: the layout's).", valueName: "file"))
    var templates: String?

    @Option(help: ArgumentHelp("Make image–caption pairs from the labels: templates with {c}, one drawn per image and epoch.", valueName: "file"))
    var captionsFromLabels: String?

    @Option(help: "Split to read where the layout has several (wds: test; idx and jsonl: train).")
    var split: String?

    @Option(help: ArgumentHelp("Leave out the items of these classes (comma-separated class names), e.g. to hold concepts out of training.", valueName: "names"))
    var excludeClasses: String?

    @Flag(help: "Skip bad samples (counted) instead of stopping at the first.")
    var skipBad = false

    @Flag(help: "Replace a registered dataset of the same name.")
    var replace = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        var request = DatasetRegistration.Request(name: name, path: Paths.absolute(path), format: format)
        request.split = split
        request.task = task
        request.classnames = classnames.map(Paths.absolute)
        request.templates = templates.map(Paths.absolute)
        request.captionsFromLabels = captionsFromLabels.map(Paths.absolute)
        request.excludedClasses = (excludeClasses ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        request.skipBad = skipBad
        request.replace = replace
        let (record, reader) = try DatasetRegistration.add(request, zoo: try global.openZoo())
        if output.json {
            try Output.json(DatasetJSON(record, reader: reader))
        } else {
            let classes = reader.classNames.map { ", \($0.count) classes" } ?? ""
            print("registered \(record.task) dataset '\(record.name)' (\(format.rawValue) at \(record.path)\(classes))")
        }
    }
}

/// `zoo dataset list`
struct DatasetList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List registered datasets.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let records = try zoo.catalog.datasets()
        if output.json {
            try Output.json(records.map { DatasetJSON($0, reader: nil) })
            return
        }
        if records.isEmpty {
            print("no datasets registered; add one with 'zoo dataset add NAME --path P --format F'")
            return
        }
        Output.table(
            ["NAME", "FORMAT", "TASK", "SPLIT", "ITEMS", "PATH"],
            records.map { [$0.name, $0.format, $0.task, $0.split ?? "-", $0.itemCount.map(String.init) ?? "?", $0.path] })
    }
}

/// `zoo dataset show NAME [--count]`
struct DatasetShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one dataset; --count reads it through.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Dataset name.")
    var name: String

    @Flag(help: "Read every item to count them and digest the item ids (recorded in the catalog).")
    var count = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        var record = try zoo.catalog.dataset(named: name)
        let reader = try DatasetOpening.reader(record)
        if count {
            // The items training and evaluation see (held-out classes left out); records the summary.
            _ = try Embedding.contents(zoo: zoo, dataset: record, reader: reader)
            record = try zoo.catalog.dataset(named: name)
        }
        if output.json {
            try Output.json(DatasetJSON(record, reader: reader))
            return
        }
        let options = DatasetOptions.parse(record.options)
        var rows: [[String]] = [
            ["name", record.name], ["format", record.format], ["task", record.task], ["path", record.path],
            ["split", record.split ?? "-"],
            ["items", record.itemCount.map(String.init) ?? "unknown (zoo dataset show --count)"],
            ["ids digest", record.idsDigest ?? "-"],
            ["classes", reader.classNames.map { "\($0.count): " + $0.prefix(10).joined(separator: ", ") + ($0.count > 10 ? ", …" : "") } ?? "-"],
            ["templates", reader.templates.map { "\($0.count)" } ?? "-"],
        ]
        if let file = options.captionTemplatesFile { rows.append(["captions from labels", file]) }
        if options.skipBad { rows.append(["skip bad", "yes"]) }
        if let excluded = options.excludedClasses { rows.append(["excluded classes", excluded.joined(separator: ", ")]) }
        rows.append(["added", Output.date(record.createdAt)])
        Output.table(["FIELD", "VALUE"], rows)
    }
}

/// `zoo dataset remove NAME`
struct DatasetRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Forget a dataset and its evaluations; the data is left alone.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Dataset name.")
    var name: String

    func run() throws {
        let zoo = try global.openZoo()
        let removed = try zoo.catalog.removeDataset(named: name)
        print("removed dataset '\(removed.name)' (\(removed.path) was left in place)")
    }
}

/// JSON shape of a dataset (docs/CLI.md). `classnames` and `templates` are there only when
/// the dataset was opened (add, show), null when it has none.
struct DatasetJSON: Encodable {
    /// What the opened dataset holds besides the catalog record.
    struct Contents {
        let classNames: [String]?
        let templates: [String]?
    }

    let name: String
    let path: String
    let format: String
    let task: String
    let split: String?
    let options: JSONValue
    let items: Int?
    let idsDigest: String?
    let createdAt: String
    let contents: Contents?

    enum CodingKeys: String, CodingKey {
        case name, path, format, task, split, options, items, classnames, templates
        case idsDigest = "ids_digest"
        case createdAt = "created_at"
    }

    init(_ record: DatasetRecord, reader: (any DatasetReader)?) {
        name = record.name
        path = record.path
        format = record.format
        task = record.task
        split = record.split
        options = JSONValue(parsing: record.options)
        items = record.itemCount
        idsDigest = record.idsDigest
        createdAt = Output.date(record.createdAt)
        contents = reader.map { Contents(classNames: $0.classNames, templates: $0.templates) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(path, forKey: .path)
        try container.encode(format, forKey: .format)
        try container.encode(task, forKey: .task)
        try container.encode(split, forKey: .split)
        try container.encode(options, forKey: .options)
        try container.encode(items, forKey: .items)
        try container.encode(idsDigest, forKey: .idsDigest)
        try container.encode(createdAt, forKey: .createdAt)
        if let contents {
            try container.encode(contents.classNames, forKey: .classnames)
            try container.encode(contents.templates, forKey: .templates)
        }
    }
}

/// Path helpers.
enum Paths {
    /// `path` made absolute against the current directory, with `~` expanded.
    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
    }
}
