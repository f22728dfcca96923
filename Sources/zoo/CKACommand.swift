import ArgumentParser
import Foundation
import ZooKit
import Registry
import Runtime

/// `zoo cka`: how well frozen vision and text encoders already agree, to pick a pair to align.
struct CKACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cka",
        abstract: "Rank vision×text encoder pairs by CKA of their features on the same image–caption pairs (or compare two feature files).",
        discussion: """
            Features as the paper takes them: an image's vision feature is the mean of the encoder's \
            last hidden state over all tokens (from the token cache); its text feature is the sentence \
            embedding of each of its captions, averaged over them. Neither is L2-normalised. --samples \
            takes the first N items of the dataset (default 5000). The rbf kernel is \
            exp(-|x-y|^2 / (2 sigma^2)) with sigma the median of the non-zero pairwise Euclidean \
            distances (pairs i < j) of that feature set. Every pair is stored in the catalog; \
            'zoo cka --list' shows them. With --features, each file holds a tensor 'features' [N, D].
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Vision encoders, comma-separated.", valueName: "names"))
    var vision: String?

    @Option(help: ArgumentHelp("Text encoders, comma-separated.", valueName: "names"))
    var text: String?

    @Option(help: ArgumentHelp("A dataset of image–caption pairs (captions, or captions from labels).", valueName: "name"))
    var data: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Two safetensors files with a tensor 'features' [N, D] each, rows the same samples.", valueName: "file"))
    var features: [String] = []

    @Option(help: "linear or rbf.")
    var kernel: CKAKernel = .linear

    @Option(help: ArgumentHelp("Use the first N items (rows). Default: 5000 items of a dataset, every row of feature files.", valueName: "n"))
    var samples: Int?

    @Option(help: "Images or texts per encoder batch when filling the cache.")
    var batch = 32

    @Flag(help: "List the CKA runs stored in the catalog instead.")
    var list = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        let encoderForm = vision != nil || text != nil || data != nil
        if list {
            guard !encoderForm, features.isEmpty else { throw ValidationError("--list takes no --vision, --text, --data or --features") }
            return
        }
        if !features.isEmpty {
            guard features.count == 2 else { throw ValidationError("--features takes exactly two files, got \(features.count)") }
            guard !encoderForm else { throw ValidationError("give either --features X Y or --vision, --text and --data, not both") }
            return
        }
        guard vision != nil, text != nil, data != nil else {
            throw ValidationError("give --vision A,B,… --text X,Y,… --data DATASET, or --features X.safetensors Y.safetensors")
        }
    }

    func run() throws {
        let zoo = try global.openZoo()
        if list { return try listRuns(zoo) }
        let report = features.isEmpty
            ? try EncoderAgreement.rank(
                zoo: zoo, vision: vision!, text: text!, dataset: data!, kernel: kernel, samples: samples, batch: batch,
                progress: ProgressBar.factory)
            : try EncoderAgreement.compare(
                zoo: zoo, features: features.map { URL(fileURLWithPath: Paths.absolute($0)) }, kernel: kernel, samples: samples)
        try show(report)
    }

    // MARK: - Output

    private func show(_ report: EncoderAgreement.Report) throws {
        let ranked = report.ranked
        if output.json {
            try Output.json(report)
            return
        }
        let source = report.dataset.map { "the first \(report.samples) items of '\($0)'" } ?? "\(report.samples) samples"
        print("CKA, \(kernel.rawValue) kernel, \(source)" + (kernel == .rbf ? " (bandwidth: median non-zero pairwise distance)" : ""))
        Output.table(
            ["RANK", "VISION", "TEXT", "CKA", "BANDWIDTH_VISION", "BANDWIDTH_TEXT"],
            ranked.enumerated().map { rank, pair in
                ["\(rank + 1)", pair.vision, pair.text, String(format: "%.4f", pair.result.score),
                 Self.number(pair.result.bandwidthX), Self.number(pair.result.bandwidthY)]
            })
    }

    private func listRuns(_ zoo: ModelZoo) throws {
        let runs = try zoo.catalog.ckaRuns()
        if output.json {
            try Output.json(runs.map(CKARunJSON.init))
            return
        }
        if runs.isEmpty {
            print("no CKA runs yet; run 'zoo cka --vision A --text B --data DATASET'")
            return
        }
        Output.table(
            ["VISION", "TEXT", "DATASET", "KERNEL", "SAMPLES", "CKA", "BANDWIDTH_VISION", "BANDWIDTH_TEXT", "CREATED"],
            runs.map { entry in
                [entry.vision, entry.text, entry.dataset ?? "-", entry.record.kernel, "\(entry.record.samples)",
                 String(format: "%.4f", entry.record.score), Self.number(entry.record.bandwidthVision),
                 Self.number(entry.record.bandwidthText), Output.date(entry.record.createdAt)]
            })
    }

    private static func number(_ value: Double?) -> String {
        value.map { String(format: "%.4g", $0) } ?? "-"
    }

}

extension CKAKernel: ExpressibleByArgument {}

/// One stored CKA run as `zoo cka --list --json` prints it; absent values are JSON null.
private struct CKARunJSON: Encodable {
    let entry: CKARunEntry

    enum CodingKeys: String, CodingKey {
        case vision, text, dataset, kernel, samples, cka
        case bandwidthVision = "bandwidth_vision", bandwidthText = "bandwidth_text"
        case zooVersion = "zoo_version", createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.vision, forKey: .vision)
        try container.encode(entry.text, forKey: .text)
        try container.encode(entry.dataset, forKey: .dataset)
        try container.encode(entry.record.kernel, forKey: .kernel)
        try container.encode(entry.record.samples, forKey: .samples)
        try container.encode(entry.record.score, forKey: .cka)
        try container.encode(entry.record.bandwidthVision, forKey: .bandwidthVision)
        try container.encode(entry.record.bandwidthText, forKey: .bandwidthText)
        try container.encode(entry.record.zooVersion, forKey: .zooVersion)
        try container.encode(Output.date(entry.record.createdAt), forKey: .createdAt)
    }
}
