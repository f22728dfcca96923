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

/// `zoo encode NAME|PAIR (--text STR | --images PATH | --input FILE | --pixels FILE) [--tokens] [--batch N] [--output FILE]`.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Embed texts or images with a registered encoder, or into the joint space of a trained pair (VISION+TEXT[@TAG]).",
        discussion: """
            Output: JSON lines {"id", "embedding"} on standard output, or --output FILE.safetensors \
            (tensor 'embeddings' [N, D], ids in the metadata) or FILE.jsonl. With a pair the rows are \
            the L2-normalised joint-space embeddings 'zoo eval' scores.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Encoder name or alias, or a trained pair VISION+TEXT[@TAG].")
    var name: String

    @Option(help: "A text to encode (repeatable; text encoders and pairs).")
    var text: [String] = []

    @Option(parsing: .upToNextOption, help: "Image files, folders (their JPEG, PNG and WebP files, recursively) or globs (vision encoders and pairs).")
    var images: [String] = []

    @Option(help: ArgumentHelp("Texts: one per line, or JSON lines with \"text\" (and \"id\"). Images: one path per line. - for stdin.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("With a pair and --input: whether the file lists texts or image paths.", valueName: "text|vision"))
    var modality: Modality?

    @Option(help: ArgumentHelp("Vision encoders and pairs: a safetensors file with an already preprocessed tensor 'pixels' F32 [N,3,H,W].", valueName: "file"))
    var pixels: String?

    @Flag(help: "Also output token states (and, for text, the attention mask); single encoders only.")
    var tokens = false

    @Option(help: "Inputs per forward pass.")
    var batch = 64

    @Flag(help: "Skip images that cannot be decoded (listed on stderr) instead of stopping.")
    var skipBad = false

    @Option(help: ArgumentHelp("Write embeddings [N,D] (and tokens [N,T,D]; mask [N,T] for text) to this .safetensors file, or JSON lines to a .jsonl file.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let output, !(output.hasSuffix(".safetensors") || output.hasSuffix(".jsonl")) {
            throw ValidationError("--output must end in .safetensors or .jsonl")
        }
        if output?.hasSuffix(".jsonl") == true && tokens {
            throw ValidationError("--tokens needs stdout or a .safetensors --output")
        }
    }

    func run() throws {
        let zoo = try global.openZoo()
        if name.contains("+") {
            try encodePair(try PairReference(parsing: name), zoo: zoo)
            return
        }
        guard modality == nil else { throw ZooError(.usage, "--modality is for pairs; '\(name)' is an encoder") }
        let (entry, loaded) = try EncoderLoading.encoder(name, zoo: zoo)
        let metadata = ["encoder": entry.name, "checkpoint": entry.checkpoint.digest, "zoo": ZooVersion.current]
        switch loaded {
        case .text(let encoder):
            guard images.isEmpty, pixels == nil else {
                throw ZooError(.usage, "'\(entry.name)' is a text encoder; pass --text or --input with texts")
            }
            var sink = try EmbeddingSink(width: encoder.width, tokenWidth: encoder.tokenWidth, withTokens: tokens, output: output, writesMask: true)
            try BatchEncoding.texts(try TextInput.items(texts: text, input: input), encoder: encoder, batch: batch, withTokens: tokens) {
                try sink.append($0)
            }
            try sink.finish(metadata: metadata)
        case .vision(let encoder, let preprocessor):
            guard text.isEmpty else {
                throw ZooError(.usage, "'\(entry.name)' is a vision encoder; pass --images, --input with image paths, or --pixels")
            }
            var sink = try EmbeddingSink(width: encoder.width, tokenWidth: encoder.tokenWidth, withTokens: tokens, output: output, writesMask: false)
            var meta = metadata
            if let pixels {
                guard images.isEmpty, input == nil else { throw ZooError(.usage, "pass --pixels alone, without --images or --input") }
                try BatchEncoding.pixels(try ImageInput.pixels(pixels), encoder: encoder, batch: batch, withTokens: tokens) { try sink.append($0) }
            } else {
                let urls = try ImageInput.urls(images: images, input: input)
                guard let preprocessor else {
                    throw ZooError(.data, "encoder '\(entry.name)' has no preprocessor_config.json; preprocess elsewhere and pass --pixels")
                }
                let skipped = try BatchEncoding.images(
                    urls, encoder: encoder, preprocessor: preprocessor, batch: batch, withTokens: tokens, skipBad: skipBad,
                    skipped: Output.reportSkipped
                ) { try sink.append($0) }
                Self.noteSkipped(skipped, in: &meta)
            }
            try sink.finish(metadata: meta)
        }
    }

    /// Joint-space embeddings through a trained pair.
    private func encodePair(_ reference: PairReference, zoo: ModelZoo) throws {
        guard !tokens else { throw ZooError(.usage, "--tokens is for single encoders; a pair gives one joint-space embedding per input") }
        let textual = !text.isEmpty || (input != nil && modality == .text)
        let visual = !images.isEmpty || pixels != nil || (input != nil && modality == .vision)
        if input != nil && modality == nil {
            throw ZooError(.usage, "with a pair, say what --input lists: --modality text or --modality vision")
        }
        guard textual != visual else {
            throw ZooError(.usage, "pass texts (--text, or --input with --modality text) or images (--images, --pixels, or --input with --modality vision), not both")
        }
        var pair = try AlignedPair.load(zoo: zoo, pair: reference)
        pair.batchSize = batch
        var sink = try EmbeddingSink(width: pair.width, withTokens: false, output: output, writesMask: false)
        var metadata = ["pair": pair.reference, "checkpoint": pair.checkpointDigest, "zoo": ZooVersion.current]
        if textual {
            let items = try TextInput.items(texts: text, input: input)
            let progress = ProgressBar("encode", total: items.count, unit: "texts")
            let started = Date()
            var done = 0
            try BatchEncoding.texts(items, pair: pair, batch: batch) { rows in
                try sink.append(rows)
                done += rows.count
                progress.update(done: done, seconds: Date().timeIntervalSince(started))
            }
            progress.finish("embedded \(items.count) texts with \(pair.reference)")
        } else if let pixels {
            guard images.isEmpty, input == nil else { throw ZooError(.usage, "pass --pixels alone, without --images or --input") }
            try BatchEncoding.pixels(try ImageInput.pixels(pixels), pair: pair, batch: batch) { try sink.append($0) }
        } else {
            let urls = try ImageInput.urls(images: images, input: input)
            let progress = ProgressBar("encode", total: urls.count, unit: "images")
            let started = Date()
            var done = 0
            let skipped = try BatchEncoding.images(urls, pair: pair, batch: batch, skipBad: skipBad, skipped: Output.reportSkipped) { rows in
                try sink.append(rows)
                done += rows.count
                progress.update(done: done, seconds: Date().timeIntervalSince(started))
            }
            progress.finish("embedded \(urls.count - skipped.count) images with \(pair.reference)")
            Self.noteSkipped(skipped, in: &metadata)
        }
        try sink.finish(metadata: metadata)
    }

    /// Records skipped images in the output's metadata and says how many on standard error.
    private static func noteSkipped(_ skipped: [String], in metadata: inout [String: String]) {
        guard !skipped.isEmpty else { return }
        metadata["skipped"] = Output.compactArray(skipped)
        Output.error("skipped \(skipped.count) image(s)")
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
