import ArgumentParser
import Foundation
import ZooKit
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

/// `zoo encode NAME (--text STR | --images PATH | --input FILE | --pixels FILE) [--tokens] [--batch N] [--output FILE]`.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Embed texts or images with a registered encoder: JSON lines, or a safetensors file with --output.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias.")
    var name: String

    @Option(help: "A text to encode (repeatable; text encoders).")
    var text: [String] = []

    @Option(parsing: .upToNextOption, help: "Image files to encode (vision encoders).")
    var images: [String] = []

    @Option(help: ArgumentHelp("Text encoders: one text per line, or JSON lines with \"text\" (and \"id\"). Vision encoders: one image path per line. - for stdin.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Vision encoders: a safetensors file with an already preprocessed tensor 'pixels' F32 [N,3,H,W].", valueName: "file"))
    var pixels: String?

    @Flag(help: "Also output token states (and, for text, the attention mask).")
    var tokens = false

    @Option(help: "Inputs per forward pass.")
    var batch = 64

    @Flag(help: "Vision: skip images that cannot be decoded (listed on stderr) instead of stopping.")
    var skipBad = false

    @Option(help: ArgumentHelp("Write tensors embeddings [N,D] (and tokens [N,T,D]; mask [N,T] for text) to this .safetensors file.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        let zoo = try global.openZoo()
        let (entry, loaded) = try EncoderLoading.encoder(name, zoo: zoo)
        let metadata = ["encoder": entry.name, "checkpoint": entry.checkpoint.digest, "zoo": ZooVersion.current]
        switch loaded {
        case .text(let encoder):
            guard images.isEmpty, pixels == nil else {
                throw ZooError(.usage, "'\(entry.name)' is a text encoder; pass --text or --input with texts")
            }
            try encodeTexts(encoder, metadata: metadata)
        case .vision(let encoder, let preprocessor):
            guard text.isEmpty else {
                throw ZooError(.usage, "'\(entry.name)' is a vision encoder; pass --images, --input with image paths, or --pixels")
            }
            try encodeImages(encoder, preprocessor: preprocessor, entry: entry, metadata: metadata)
        }
    }

    private func encodeTexts(_ encoder: any TextEncoder, metadata: [String: String]) throws {
        let items = try TextInput.items(texts: text, input: input)
        var sink = EmbeddingSink(width: encoder.width, withTokens: tokens, output: output, writesMask: true)
        try BatchEncoding.texts(items, encoder: encoder, batch: batch, withTokens: tokens) { rows in
            try sink.append(rows)
        }
        try sink.finish(metadata: metadata)
    }

    private func encodeImages(
        _ encoder: any VisionEncoder, preprocessor: ImagePreprocessor?, entry: EncoderEntry, metadata: [String: String]
    ) throws {
        var sink = EmbeddingSink(width: encoder.width, withTokens: tokens, output: output, writesMask: false)
        if let pixels {
            guard images.isEmpty, input == nil else { throw ZooError(.usage, "pass --pixels alone, without --images or --input") }
            try BatchEncoding.pixels(try ImageInput.pixels(pixels), encoder: encoder, batch: batch, withTokens: tokens) { rows in
                try sink.append(rows)
            }
            try sink.finish(metadata: metadata)
            return
        }
        let urls = try ImageInput.urls(images: images, input: input)
        guard let preprocessor else {
            throw ZooError(.data, "encoder '\(entry.name)' has no preprocessor_config.json; preprocess elsewhere and pass --pixels")
        }
        let skipped = try BatchEncoding.images(
            urls, encoder: encoder, preprocessor: preprocessor, batch: batch, withTokens: tokens, skipBad: skipBad,
            skipped: Output.reportSkipped
        ) { rows in
            try sink.append(rows)
        }
        var meta = metadata
        if !skipped.isEmpty {
            meta["skipped"] = Output.compactArray(skipped)
            Output.error("skipped \(skipped.count) image(s)")
        }
        try sink.finish(metadata: meta)
    }
}

/// `zoo preprocess NAME (--images PATH... | --input FILE) --output FILE.safetensors`.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Write the 'pixels' tensor F32 [N,3,H,W] a vision encoder would see for these images.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Vision encoder name or alias.")
    var name: String

    @Option(parsing: .upToNextOption, help: "Image files.")
    var images: [String] = []

    @Option(help: ArgumentHelp("A file with one image path per line; - for stdin.", valueName: "file"))
    var input: String?

    @Flag(help: "Skip images that cannot be decoded (listed on stderr) instead of stopping.")
    var skipBad = false

    @Option(help: ArgumentHelp("The .safetensors file to write.", valueName: "file"))
    var output: String

    func run() throws {
        let urls = try ImageInput.urls(images: images, input: input)
        let zoo = try global.openZoo()
        let (entry, _, preprocessor) = try EncoderLoading.visionEncoder(name, zoo: zoo)
        guard let preprocessor else {
            throw ZooError(.data, "encoder '\(entry.name)' has no preprocessor_config.json")
        }
        let result = try ImagePreprocessing.run(urls, preprocessor: preprocessor, skipBad: skipBad, skipped: Output.reportSkipped)
        var metadata = ["encoder": entry.name, "zoo": ZooVersion.current, "ids": Output.compactArray(result.ids)]
        if !result.skipped.isEmpty {
            metadata["skipped"] = Output.compactArray(result.skipped)
        }
        var writer = SafeTensorsWriter(metadata: metadata)
        do {
            try writer.add("pixels", floats: result.pixels.scalars, shape: result.pixels.shape)
            try writer.write(to: URL(fileURLWithPath: output))
        } catch {
            throw ZooError(.io, "cannot write '\(output)': \(error)")
        }
        Output.error("wrote pixels [\(result.pixels.shape.map(String.init).joined(separator: ", "))] to \(output)")
    }
}
