import Foundation
import ZooKit

/// A one-line progress display on standard error: count, total, rate and ETA. Redrawn in place
/// at most 10 times a second when standard error is a terminal; otherwise silent until
/// ``finish(_:)``, so logs and tests stay readable.
final class ProgressBar: ProgressReporter {
    private let label: String
    private let total: Int?
    private let unit: String
    private let interactive = isatty(2) != 0
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(_ label: String, total: Int?, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Shows `done` items after `seconds`, with `extra` text (loss, lr, …) after the rate.
    func update(done: Int, seconds: Double, extra: String = "") {
        guard interactive, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        draw(done: done, seconds: seconds, extra: extra)
    }

    /// Ends the line (when one was drawn) and prints `summary` to standard error.
    func finish(_ summary: String) {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
    }

    private func draw(done: Int, seconds: Double, extra: String) {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var line = "\(label) "
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let filled = Int(fraction * 24)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "] "
            line += "\(done)/\(total) \(unit)"
            if rate > 0 && done < total {
                line += " ETA " + Self.clock(Double(total - done) / rate)
            }
        } else {
            line += "\(done) \(unit)"
        }
        line += String(format: " %.1f %@/s", rate, unit)
        if !extra.isEmpty { line += " " + extra }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// A factory of bars, for use-cases that report progress.
    static let factory: ProgressFactory = { label, total, unit in ProgressBar(label, total: total, unit: unit) }

    /// `m:ss` or `h:mm:ss`.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let (hours, minutes, secs) = (whole / 3600, (whole / 60) % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}
