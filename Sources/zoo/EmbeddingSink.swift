import Foundation
import ZooKit
import Registry
import Runtime

/// Collects encoder outputs row by row and emits them as JSON lines (streamed to standard
/// output, or to a `.jsonl` file committed at the end) or as one `.safetensors` file at the end.
struct EmbeddingSink {
    let width: Int
    /// The width of each token state (a CLIP tower's differs from ``width``).
    let tokenWidth: Int
    let withTokens: Bool
    let output: String?
    /// Whether a `mask` tensor is written with the tokens (text: sequences differ in length).
    let writesMask: Bool

    /// Where JSON lines go when they are not gathered for a safetensors file.
    private enum Lines {
        case standardOutput
        case file(DurableFile)
        case none
    }

    private let lines: Lines
    private var embeddings: [Float] = []
    private var tokenRows: [[Float]] = []
    private var tokenCounts: [Int] = []
    private var ids: [String] = []
    private var pending = ""

    /// One JSON line: the row's id, its pooled embedding and, with tokens, its token states.
    /// Values are widened to `Double` before printing, as the line format has always shown them.
    struct Line: Encodable {
        let id: String
        let embedding: [Double]
        var tokens: [[Double]]?
    }

    /// Writes a line compactly, keys sorted.
    private let lineEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A sink for rows of `width` with token states of `tokenWidth` (`width` when nil); `output`
    /// ends in `.safetensors` or `.jsonl`, or is nil for standard output. A `.jsonl` file is
    /// created now (beside its final name) and appears whole at ``finish(metadata:)``.
    init(width: Int, tokenWidth: Int? = nil, withTokens: Bool, output: String?, writesMask: Bool) throws {
        self.width = width
        self.tokenWidth = tokenWidth ?? width
        self.withTokens = withTokens
        self.output = output
        self.writesMask = writesMask
        if let output, output.hasSuffix(".jsonl") {
            do { lines = .file(try DurableFile(creating: URL(fileURLWithPath: output))) } catch {
                throw ZooError(.io, error.description)
            }
        } else {
            lines = output == nil ? .standardOutput : .none
        }
    }

    /// Adds every row of one encoded batch and flushes the JSON lines.
    mutating func append(_ rows: EncodedRows) throws {
        for row in 0..<rows.count {
            try append(id: rows.ids[row], embedding: rows.embedding(row), tokens: rows.tokenStates(row), count: rows.lengths[row])
        }
        try flush()
    }

    /// Adds one row: its pooled embedding and, with tokens, its `count` token states.
    private mutating func append(id: String, embedding: ArraySlice<Float>, tokens: ArraySlice<Float>, count: Int) throws {
        if case .none = lines {
            embeddings += embedding
            ids.append(id)
            if withTokens {
                tokenRows.append(Array(tokens))
                tokenCounts.append(count)
            }
            return
        }
        var line = Line(id: id, embedding: embedding.map(Double.init))
        if withTokens {
            let base = tokens.startIndex
            line.tokens = (0..<count).map { t in tokens[base + t * tokenWidth..<base + (t + 1) * tokenWidth].map(Double.init) }
        }
        pending += String(decoding: try lineEncoder.encode(line), as: UTF8.self) + "\n"
        ids.append(id)
    }

    /// Writes the JSON lines gathered since the last flush.
    private mutating func flush() throws {
        guard !pending.isEmpty else { return }
        switch lines {
        case .standardOutput: FileHandle.standardOutput.write(Data(pending.utf8))
        case .file(let file):
            do { try file.write(Data(pending.utf8)) } catch { throw ZooError(.io, error.description) }
        case .none: break
        }
        pending = ""
    }

    /// Commits the `.jsonl` file or writes the safetensors file, when an output path was given.
    mutating func finish(metadata: [String: String]) throws {
        try flush()
        guard let output else { return }
        let rows = ids.count
        if case .file(let file) = lines {
            do { try file.commit() } catch { throw ZooError(.io, error.description) }
            Output.error("wrote \(rows) embeddings of width \(width) to \(output)")
            return
        }
        var meta = metadata
        meta["ids"] = Output.compactArray(ids)
        var writer = SafeTensorsWriter(metadata: meta)
        do {
            try writer.add("embeddings", floats: embeddings, shape: [rows, width])
            if withTokens {
                let longest = tokenCounts.max() ?? 0
                var states = [Float](repeating: 0, count: rows * longest * tokenWidth)
                var mask = [UInt8](repeating: 0, count: rows * longest)
                for (row, rowTokens) in tokenRows.enumerated() {
                    let start = row * longest * tokenWidth
                    states.replaceSubrange(start..<start + rowTokens.count, with: rowTokens)
                    for t in 0..<tokenCounts[row] { mask[row * longest + t] = 1 }
                }
                try writer.add("tokens", floats: states, shape: [rows, longest, tokenWidth])
                if writesMask { try writer.add("mask", uint8s: mask, shape: [rows, longest]) }
            }
            try writer.write(to: URL(fileURLWithPath: output))
        } catch {
            throw ZooError(.io, "cannot write '\(output)': \(error)")
        }
        Output.error("wrote \(rows) embeddings of width \(width) to \(output)")
    }
}
