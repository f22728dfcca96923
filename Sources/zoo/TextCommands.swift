import ArgumentParser
import Foundation
import Registry
import Runtime

/// `zoo tokenize NAME (--text STR | --input FILE)`: token ids as Hugging Face gives them.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of each text as one JSON array per line.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Text encoder name or alias.")
    var name: String

    @Option(help: "A text to tokenize (repeatable).")
    var text: [String] = []

    @Option(help: ArgumentHelp("A file with one text per line, or JSON lines with \"text\" (and \"id\"); - for stdin.", valueName: "file"))
    var input: String?

    func run() throws {
        let items = try TextInput.items(texts: text, input: input)
        let zoo = try global.openZoo()
        let (_, encoder) = try EncoderLoading.textEncoder(name, zoo: zoo)
        var output = ""
        for item in items {
            output += "[" + encoder.tokenize(item.text).map(String.init).joined(separator: ",") + "]\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

/// `zoo encode NAME (--text STR | --input FILE) [--tokens] [--batch N] [--output FILE]`.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Embed texts with a registered encoder: JSON lines, or a safetensors file with --output.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var name: String

    @Option(help: "A text to encode (repeatable).")
    var text: [String] = []

    @Option(help: ArgumentHelp("A file with one text per line, or JSON lines with \"text\" (and \"id\"); - for stdin.", valueName: "file"))
    var input: String?

    @Flag(help: "Also output token states and the attention mask.")
    var tokens = false

    @Option(help: "Texts per forward pass.")
    var batch = 64

    @Option(help: ArgumentHelp("Write tensors embeddings [N,D] (and tokens [N,L,D], mask [N,L]) to this .safetensors file.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        let items = try TextInput.items(texts: text, input: input)
        let zoo = try global.openZoo()
        let (entry, encoder) = try EncoderLoading.textEncoder(name, zoo: zoo)
        let width = encoder.width
        var embeddings = [Float]()
        embeddings.reserveCapacity(items.count * width)
        var tokenRows: [[Float]] = []
        var lengths: [Int] = []
        var lines = ""
        for start in stride(from: 0, to: items.count, by: batch) {
            let slice = Array(items[start..<min(start + batch, items.count)])
            let encoding = try encoder.encode(slice.map(\.text))
            let pooled = encoding.pooled.scalars
            let states = tokens ? encoding.tokens.scalars : []
            let padded = encoding.tokens.rank == 3 ? encoding.tokens.shape[1] : 0
            for (row, item) in slice.enumerated() {
                let vector = Array(pooled[row * width..<(row + 1) * width])
                let length = encoding.lengths[row]
                var rowTokens: [Float] = []
                if tokens {
                    rowTokens = Array(states[row * padded * width..<(row * padded + length) * width])
                }
                if output != nil {
                    embeddings += vector
                    if tokens { tokenRows.append(rowTokens); lengths.append(length) }
                } else {
                    var object: [String: Any] = ["id": item.id, "embedding": vector.map(Double.init)]
                    if tokens {
                        object["tokens"] = (0..<length).map { t in rowTokens[t * width..<(t + 1) * width].map(Double.init) }
                    }
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
                    lines += String(decoding: data, as: UTF8.self) + "\n"
                }
            }
            if !lines.isEmpty {
                FileHandle.standardOutput.write(Data(lines.utf8))
                lines = ""
            }
        }
        guard let output else { return }
        var writer = SafeTensorsWriter(metadata: ["encoder": entry.name, "checkpoint": entry.checkpoint.digest, "zoo": ZooVersion.current])
        try writer.add("embeddings", floats: embeddings, shape: [items.count, width])
        if tokens {
            let longest = lengths.max() ?? 0
            var states = [Float](repeating: 0, count: items.count * longest * width)
            var mask = [UInt8](repeating: 0, count: items.count * longest)
            for (row, rowTokens) in tokenRows.enumerated() {
                states.replaceSubrange(row * longest * width..<row * longest * width + rowTokens.count, with: rowTokens)
                for t in 0..<lengths[row] { mask[row * longest + t] = 1 }
            }
            try writer.add("tokens", floats: states, shape: [items.count, longest, width])
            try writer.add("mask", uint8s: mask, shape: [items.count, longest])
        }
        do { try writer.write(to: URL(fileURLWithPath: output)) } catch {
            throw ZooError(.io, "cannot write '\(output)': \(error)")
        }
        FileHandle.standardError.write(Data("wrote \(items.count) embeddings of width \(width) to \(output)\n".utf8))
    }
}
