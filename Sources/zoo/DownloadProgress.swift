import Foundation
import ZooHub

/// The progress of a Hub download on standard error: the current file's bytes, rate and ETA,
/// and the total's. Redrawn in place at most 10 times a second on a terminal; otherwise one
/// line per finished file, so logs stay readable.
final class DownloadProgress: HubDownloadObserver, @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private let interactive = isatty(2) != 0
    private var total: Int64 = 0
    private var finished: Int64 = 0
    private var current: (file: HubFile, done: Int64, resumedAt: Int64, started: Date)?
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String) { self.label = label }

    func willDownload(_ files: [HubFile], bytes: Int64) {
        lock.lock(); defer { lock.unlock() }
        total = bytes
        started = Date()
        if !files.isEmpty {
            write("\(label): fetching \(files.count) file\(files.count == 1 ? "" : "s"), \(Output.bytes(bytes))\n")
        }
    }

    func progress(_ file: HubFile, done: Int64) {
        lock.lock(); defer { lock.unlock() }
        if let shown = current, shown.file == file, done > shown.done {
            current?.done = done
        } else {
            // Another file, or a new try of this one that resumed at `done` (0: started over).
            current = (file, done, done, Date())
        }
        guard interactive, Date().timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = Date()
        draw()
    }

    func didDownload(_ file: HubFile) {
        lock.lock(); defer { lock.unlock() }
        let seconds = current.map { Date().timeIntervalSince($0.started) } ?? 0
        let resumed = current.map { $0.resumedAt > 0 ? ", resumed at \(Output.bytes($0.resumedAt))" : "" } ?? ""
        finished += file.size
        current = nil
        if drawn { write("\r\u{1B}[K"); drawn = false }
        write("  \(file.path): \(Output.bytes(file.size)) in \(String(format: "%.1f", seconds)) s\(resumed), \(file.lfsSHA256 == nil ? "git blob id" : "sha256") verified\n")
    }

    /// Clears the line.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drawn { write("\r\u{1B}[K"); drawn = false }
    }

    private func draw() {
        guard let current else { return }
        let fileRate = Double(current.done - current.resumedAt) / max(Date().timeIntervalSince(current.started), 1e-3)
        let allDone = finished + current.done
        let totalRate = Double(allDone) / max(Date().timeIntervalSince(started), 1e-3)
        var line = "\(current.file.path) \(Self.bar(current.done, current.file.size)) \(Output.bytes(current.done))/\(Output.bytes(current.file.size))"
        line += " \(Output.bytes(Int64(fileRate)))/s"
        if fileRate > 0 { line += " ETA \(ProgressBar.clock(Double(current.file.size - current.done) / fileRate))" }
        line += " · total \(Output.bytes(allDone))/\(Output.bytes(total))"
        if totalRate > 0 && total > allDone { line += " ETA \(ProgressBar.clock(Double(total - allDone) / totalRate))" }
        write("\r\u{1B}[K" + line)
        drawn = true
    }

    private static func bar(_ done: Int64, _ total: Int64) -> String {
        let filled = total > 0 ? Int(Double(done) / Double(total) * 20) : 20
        return "[" + String(repeating: "#", count: min(filled, 20)) + String(repeating: ".", count: max(0, 20 - filled)) + "]"
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
