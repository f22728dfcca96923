import Foundation

/// The `MODEL_CARD.md` of a projector archive: a readable summary generated from the manifest
/// (encoders with sources and licenses, architecture, training settings, data, results,
/// evaluations, files). Deterministic: the same manifest gives the same text, with no timestamps.
public enum ModelCard {
    /// The card for `manifest` (its `files` may or may not list the card itself; it is skipped).
    public static func markdown(for manifest: ArchiveManifest) -> String {
        let vision = manifest.encoders.vision
        let text = manifest.encoders.text
        let projector = manifest.projector
        let reference = "\(vision.name)+\(text.name)@\(projector.tag)"
        var lines: [String] = []
        lines.append("# Projector \(reference)")
        lines.append("")
        lines.append("A pair of small projectors that map the frozen vision encoder `\(vision.name)` and the frozen text encoder `\(text.name)` into one shared embedding space (CLIP-style), packed by zoo \(manifest.zooVersion).")
        lines.append("The encoders' weights are not in this archive: register both (same checkpoints) before `zoo import`.")
        lines.append("")

        lines.append("## Encoders")
        lines.append("")
        lines.append("| Side | Name | Backend | Source | License | Pooled width | Token width | Checkpoint digest |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for (side, encoder) in [("vision", vision), ("text", text)] {
            let name = encoder.aliases.isEmpty ? encoder.name : "\(encoder.name) (\(encoder.aliases.joined(separator: ", ")))"
            lines.append(row([side, name, encoder.backend, encoder.source ?? "unknown", encoder.license ?? "unknown",
                              encoder.pooledWidth.map(String.init) ?? "-", encoder.tokenWidth.map(String.init) ?? "-",
                              "`\(encoder.checkpointDigest)`"]))
        }
        lines.append("")

        lines.append("## Architecture")
        lines.append("")
        lines.append("```json")
        lines.append(pretty(projector.architecture))
        lines.append("```")
        lines.append("")

        lines.append("## Training")
        lines.append("")
        lines.append(contentsOf: settings(manifest.training, header: "Setting"))
        lines.append("")

        lines.append("## Data")
        lines.append("")
        lines.append(contentsOf: settings(manifest.data, header: "Field"))
        lines.append("")

        lines.append("## Results")
        lines.append("")
        lines.append("- Final training loss: \(projector.finalLoss.map { String(format: "%.6f", $0) } ?? "not recorded")")
        let losses = (projector.history.arrayValue ?? []).compactMap { $0.objectValue?["loss"]?.doubleValue }
        if !losses.isEmpty {
            lines.append("- Loss by epoch (\(losses.count)): \(losses.map { String(format: "%.4f", $0) }.joined(separator: " "))")
        }
        lines.append("")

        lines.append("## Evaluations")
        lines.append("")
        if manifest.evaluations.isEmpty {
            lines.append("No evaluations were recorded.")
        } else {
            lines.append("| Task | Dataset | Metrics | Seconds | zoo |")
            lines.append("|---|---|---|---|---|")
            for evaluation in manifest.evaluations {
                let metrics = (evaluation.metrics.objectValue ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key) \(cell($0.value))" }.joined(separator: ", ")
                lines.append(row([evaluation.task, evaluation.dataset, metrics.isEmpty ? cell(evaluation.metrics) : metrics,
                                  String(format: "%.1f", evaluation.seconds), evaluation.zooVersion]))
            }
        }
        lines.append("")

        lines.append("## Files")
        lines.append("")
        lines.append("Projector checkpoint digest: `\(projector.checkpointDigest)`")
        lines.append("")
        lines.append("| File | Bytes | SHA-256 |")
        lines.append("|---|---|---|")
        for file in manifest.checkpointFiles {
            lines.append(row([file.path, String(file.bytes), "`\(file.sha256)`"]))
        }
        lines.append("")

        lines.append("## Use")
        lines.append("")
        lines.append("```sh")
        lines.append("zoo import ARCHIVE.zoo            # as tag \(projector.tag); --as TAG for another")
        lines.append("zoo projector show \(reference)")
        lines.append("```")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A two-column table of an object's members, or the value itself when it is not an object.
    private static func settings(_ value: JSONValue, header: String) -> [String] {
        guard let members = value.objectValue else {
            if case .string(let text) = value { return [text.isEmpty ? "Not recorded." : text] }
            return ["`\(value.compactJSON)`"]
        }
        if members.isEmpty { return ["Not recorded."] }
        return ["| \(header) | Value |", "|---|---|"] + members.sorted { $0.key < $1.key }.map { row([$0.key, cell($0.value)]) }
    }

    private static func cell(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number): return String(format: "%.6g", number)
        default: return value.compactJSON
        }
    }

    private static func row(_ cells: [String]) -> String {
        "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
            .joined(separator: " | ") + " |"
    }

    private static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
