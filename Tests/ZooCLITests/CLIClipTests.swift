import Foundation
import Runtime
import Testing

/// CLIP checkpoints through the real binary: one folder registers as a vision and as a text
/// encoder, each embeds, and zoo's projectors align a DINOv2 with CLIP's text tower.
@Suite("CLIP towers through the CLI", .serialized)
struct CLIClipTests {
    private static let clip = ZooRunner.fixtures.appendingPathComponent("models/tiny-clip").path

    @Test("a full CLIP checkpoint: --modality picks the tower (64 without it, naming both), widths and backends shown, both towers embed")
    func registerAndEmbed() throws {
        let zoo = ZooRunner()
        let ambiguous = try zoo.run(["encoder", "add", "clip", "--from", Self.clip])
        #expect(ambiguous.status == 64)
        #expect(ambiguous.stderr.contains("--modality text (backend clip-text)") && ambiguous.stderr.contains("--modality vision (backend clip-vision)"), "\(ambiguous.stderr)")
        #expect(!(try zoo.run(["encoder", "list"]).stdout.contains("clip")))

        #expect(try zoo.run(["encoder", "add", "clip-t", "--from", Self.clip, "--modality", "text"]).status == 0)
        #expect(try zoo.run(["encoder", "add", "clip-v", "--from", Self.clip, "--backend", "clip-vision"]).status == 0)
        let text = try #require(try zoo.run(["encoder", "show", "clip-t", "--json"]).json() as? [String: Any])
        #expect(text["backend"] as? String == "clip-text" && text["pooled_width"] as? Int == 24 && text["token_width"] as? Int == 32, "\(text)")
        let vision = try #require(try zoo.run(["encoder", "show", "clip-v", "--json"]).json() as? [String: Any])
        #expect(vision["backend"] as? String == "clip-vision" && vision["modality"] as? String == "vision", "\(vision)")
        // Both rows share the checkpoint's files.
        #expect(text["checkpoint"] as? String == vision["checkpoint"] as? String)
        let backends = try zoo.run(["backend", "list"])
        #expect(backends.stdout.contains("clip-text") && backends.stdout.contains("clip,clip_text_model"), "\(backends.stdout)")

        let textOut = zoo.scratch.appendingPathComponent("t.safetensors")
        let encodedText = try zoo.run(["encode", "clip-t", "--text", "a photo of a cat", "--text", "a dog", "--tokens", "--output", textOut.path])
        #expect(encodedText.status == 0, "\(encodedText.stderr)")
        let textFile = try SafeTensorsFile(url: textOut)
        #expect(try textFile.info("embeddings").shape == [2, 24])
        let tokenShape = try textFile.info("tokens").shape
        #expect(tokenShape.first == 2 && tokenShape.last == 32, "\(tokenShape)")

        let imageOut = zoo.scratch.appendingPathComponent("i.safetensors")
        let image = ZooRunner.fixtures.appendingPathComponent("vision/images/china.jpg").path
        let encodedImage = try zoo.run(["encode", "clip-v", "--images", image, "--tokens", "--output", imageOut.path])
        #expect(encodedImage.status == 0, "\(encodedImage.stderr)")
        let imageFile = try SafeTensorsFile(url: imageOut)
        #expect(try imageFile.info("embeddings").shape == [1, 24])
        #expect(try imageFile.info("tokens").shape == [1, 17, 32])
    }

    @Test("zoo's projectors align a DINOv2 with CLIP's text tower: pooled and token projectors train, loss falls")
    func alignDINOv2WithCLIPText() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let zoo = ZooRunner()
        let data = zoo.scratch.appendingPathComponent("fmnist")
        try TrainingFixtures.subset(count: 128, into: data)
        #expect(try zoo.run(["encoder", "add", "dino", "--from", TrainingFixtures.mnistViT]).status == 0)
        #expect(try zoo.run(["encoder", "add", "clip-t", "--from", Self.clip, "--modality", "text"]).status == 0)
        let add = try zoo.run([
            "dataset", "add", "fm", "--path", data.path, "--format", "idx", "--classnames", TrainingFixtures.classNames,
            "--captions-from-labels", TrainingFixtures.captionTemplates,
        ])
        try #require(add.status == 0, "\(add.stderr)")
        let common = ["--data", "fm", "--epochs", "4", "--batch", "32", "--dim", "32", "--lr", "2e-3", "--json"]
        for (tag, projector) in [("p", "pooled"), ("t", "token")] {
            let run = try zoo.run(["train", "dino+clip-t@\(tag)", "--projector", projector] + common)
            #expect(run.status == 0, "\(run.stderr)")
            let row = try #require(try run.json() as? [String: Any])
            let losses = (row["history"] as? [[String: Any]] ?? []).compactMap { $0["loss"] as? Double }
            #expect(losses.count == 4)
            #expect((losses.last ?? 9) < (losses.first ?? 0) - 0.02, "\(projector) loss \(losses)")
        }
        let eval = try zoo.run(["eval", "dino+clip-t@p", "fm", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    @Test("a full SigLIP checkpoint with spiece.model only: both towers register and embed; texts pad to the maximum length")
    func sigLIP() throws {
        let zoo = ZooRunner()
        let siglip = ZooRunner.fixtures.appendingPathComponent("models/tiny-siglip").path
        let ambiguous = try zoo.run(["encoder", "add", "s", "--from", siglip])
        #expect(ambiguous.status == 64 && ambiguous.stderr.contains("siglip-text"), "\(ambiguous.stderr)")
        #expect(try zoo.run(["encoder", "add", "sig-t", "--from", siglip, "--modality", "text"]).status == 0)
        #expect(try zoo.run(["encoder", "add", "sig-v", "--from", siglip, "--modality", "vision"]).status == 0)
        let tokens = try zoo.run(["tokenize", "sig-t", "--text", "A photo of a cat."])
        #expect(tokens.status == 0 && tokens.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(",1]"), "\(tokens.stdout)")
        let textOut = zoo.scratch.appendingPathComponent("t.safetensors")
        #expect(try zoo.run(["encode", "sig-t", "--text", "a cat", "--text", "a dog on a mat", "--output", textOut.path]).status == 0)
        #expect(try SafeTensorsFile(url: textOut).info("embeddings").shape == [2, 24])
        let imageOut = zoo.scratch.appendingPathComponent("i.safetensors")
        let image = ZooRunner.fixtures.appendingPathComponent("vision/images/coffee.webp").path
        let encoded = try zoo.run(["encode", "sig-v", "--images", image, "--tokens", "--output", imageOut.path])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        #expect(try SafeTensorsFile(url: imageOut).info("tokens").shape == [1, 16, 32])
    }
}
