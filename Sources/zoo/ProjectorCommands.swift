import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo projector …`: list, show and remove trained projectors.
struct ProjectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projector", abstract: "List, show and remove trained projector pairs.",
        subcommands: [ProjectorList.self, ProjectorShow.self, ProjectorRemove.self])
}

/// `zoo projector list [PAIR]`
struct ProjectorList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List projectors, newest first.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this pair (VISION+TEXT).")
    var pair: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let entries = try zoo.catalog.projectors(for: try pair.map(PairReference.init(parsing:)))
        if output.json {
            try Output.json(entries.map(ProjectorJSON.init))
            return
        }
        if entries.isEmpty {
            print("no projectors; train one with 'zoo train VISION+TEXT --data DATASET'")
            return
        }
        Output.table(
            ["PAIR", "KIND", "WIDTH", "FINAL LOSS", "DATA", "CHECKPOINT", "CREATED"],
            entries.map { entry in
                let architecture = JSONValue(parsing: entry.record.architecture)
                let data = JSONValue(parsing: entry.record.dataSummary)
                return [
                    entry.reference, architecture["input"]?.stringValue ?? "?",
                    architecture["outputWidth"]?.intValue.map(String.init) ?? "?",
                    entry.record.finalLoss.map { String(format: "%.4f", $0) } ?? "-",
                    data["dataset"]?.stringValue ?? "-", String(entry.record.checkpointDigest.prefix(12)),
                    Output.date(entry.record.createdAt),
                ]
            })
    }
}

/// `zoo projector show PAIR[@TAG]`
struct ProjectorShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a projector: architecture, training settings, data, history and checkpoint digest.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "VISION+TEXT[@TAG] (newest tag when omitted).")
    var pair: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let zoo = try global.openZoo()
        let entry = try zoo.catalog.projectorEntry(for: try PairReference(parsing: pair))
        if output.json {
            try Output.json(ProjectorJSON(entry))
            return
        }
        let record = entry.record
        var rows: [[String]] = [
            ["pair", entry.reference], ["checkpoint", record.checkpointDigest],
            ["architecture", record.architecture], ["training", record.trainingConfig], ["data", record.dataSummary],
            ["final loss", record.finalLoss.map { String(format: "%.6f", $0) } ?? "-"],
            ["created", Output.date(record.createdAt)],
        ]
        if let history = JSONValue(parsing: record.history).objectsValue, !history.isEmpty {
            let losses = history.compactMap { $0["loss"]?.doubleValue }.map { String(format: "%.4f", $0) }
            rows.append(["loss by epoch", losses.joined(separator: " ")])
        }
        Output.table(["FIELD", "VALUE"], rows)
    }
}

/// `zoo projector remove PAIR@TAG`
struct ProjectorRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a projector, its evaluations, and its stored files when nothing else uses them.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "VISION+TEXT@TAG.")
    var pair: String

    func run() throws {
        let reference = try PairReference(parsing: pair)
        guard reference.tag != nil else {
            throw ZooError(.usage, "name the version to remove: \(reference)@TAG ('zoo projector list \(reference)' shows the tags)")
        }
        let zoo = try global.openZoo()
        let removed = try zoo.removeProjector(reference)
        print("removed projector \(removed.reference)")
    }
}

/// JSON shape of a projector (docs/CLI.md).
struct ProjectorJSON: Encodable {
    let pair: String
    let vision: String
    let text: String
    let tag: String
    let checkpointDigest: String
    let architecture: JSONValue
    let trainingConfig: JSONValue
    let dataSummary: JSONValue
    @NullWhenNil var finalLoss: Double?
    let history: JSONValue
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case pair, vision, text, tag, architecture, history
        case checkpointDigest = "checkpoint_digest"
        case trainingConfig = "training_config"
        case dataSummary = "data_summary"
        case finalLoss = "final_loss"
        case createdAt = "created_at"
    }

    init(_ entry: ProjectorEntry) {
        let record = entry.record
        pair = entry.reference
        vision = entry.visionName
        text = entry.textName
        tag = record.tag
        checkpointDigest = record.checkpointDigest
        architecture = JSONValue(parsing: record.architecture)
        trainingConfig = JSONValue(parsing: record.trainingConfig)
        dataSummary = JSONValue(parsing: record.dataSummary)
        finalLoss = record.finalLoss
        history = JSONValue(parsing: record.history)
        createdAt = Output.date(record.createdAt)
    }
}
