import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo report [PAIR…] --output report.html`
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page (inline SVG, no network): training curves, per-class accuracy, confusion matrices, the CKA heat map and the leaderboard.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Pairs to include (VISION+TEXT[@TAG]); default: every projector.")
    var pairs: [String] = []

    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output = "report.html"

    @Option(help: "The page title.")
    var title = "zoo report"

    func run() throws {
        let zoo = try global.openZoo()
        var projectors = try zoo.catalog.projectors()
        if !pairs.isEmpty {
            var wanted = Set<String>()
            for pair in pairs {
                let reference = try PairReference(parsing: pair)
                if reference.tag == nil {
                    wanted.formUnion(try zoo.catalog.projectors(for: reference).map(\.reference))
                } else {
                    wanted.insert(try zoo.catalog.projectorEntry(for: reference).reference)
                }
            }
            projectors = projectors.filter { wanted.contains($0.reference) }
        }
        projectors.sort { $0.reference < $1.reference }
        let included = Set(projectors.map(\.reference))
        let curves = projectors.map { entry -> ReportInput.Curve in
            let history = JSONValue(parsing: entry.record.history).objectsValue ?? []
            return ReportInput.Curve(
                pair: entry.reference, loss: history.map { $0["loss"]?.doubleValue ?? .nan },
                temperature: history.map { $0["temperature"]?.doubleValue ?? .nan },
                learningRate: history.map { $0["lr"]?.doubleValue ?? .nan })
        }
        var latest: [String: EvaluationEntry] = [:]
        for evaluation in try zoo.catalog.evaluations() where included.contains(evaluation.pair) {
            latest[evaluation.pair + "\u{0}" + evaluation.dataset] = evaluation
        }
        let evaluations = latest.values.sorted { ($0.pair, $0.dataset) < ($1.pair, $1.dataset) }
        let details = evaluations.compactMap { evaluation -> ReportInput.ClassificationDetail? in
            let object = JSONValue(parsing: evaluation.record.details)
            guard let names = object["class_names"]?.arrayValue?.all(\.stringValue),
                  let recall = object["per_class_recall"]?.arrayValue?.all(\.doubleValue),
                  let confusion = object["confusion"]?.arrayValue?.all({ $0.arrayValue?.all(\.intValue) })
            else { return nil }
            return ReportInput.ClassificationDetail(pair: evaluation.pair, dataset: evaluation.dataset, classNames: names, perClassRecall: recall, confusion: confusion)
        }
        let cka = try zoo.catalog.ckaRuns().map { ReportInput.CKAScore(vision: $0.vision, text: $0.text, score: $0.record.score, kernel: $0.record.kernel) }
        let datasets = Array(Set(evaluations.map(\.dataset))).sorted()
        let rows = Array(Set(evaluations.map(\.pair))).sorted().map { pair in
            ReportInput.LeaderboardRow(pair: pair, values: datasets.map { dataset in
                guard let evaluation = latest[pair + "\u{0}" + dataset],
                      let metrics = JSONValue(parsing: evaluation.record.metrics).numbersValue else { return nil }
                return metrics[evaluation.record.task == DatasetTask.classification.rawValue ? "acc1" : "image_retrieval_recall@1"]
            })
        }
        let html = HTMLReport.render(ReportInput(
            title: title, zooVersion: ZooVersion.current, curves: curves, details: details, cka: cka,
            leaderboardDatasets: datasets, leaderboard: rows))
        let url = URL(fileURLWithPath: Paths.absolute(output))
        try DurableFile.write(Data(html.utf8), to: url)
        print("wrote \(url.path): \(curves.count) projectors, \(details.count) classification breakdowns, \(cka.count) CKA scores, \(rows.count) leaderboard rows")
    }
}
