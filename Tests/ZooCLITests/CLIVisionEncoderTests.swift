import Foundation
import Runtime
import Testing

/// DINOv2 through the real binary: images in, embeddings equal to transformers' out.
@Suite("zoo encode and preprocess for vision encoders")
struct CLIVisionEncoderTests {
    static let vision = ZooRunner.fixtures.appendingPathComponent("vision")
    static let images = ["china.jpg", "coffee.webp"].map { vision.appendingPathComponent("images/\($0)").path }

    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test("image files → embeddings and tokens matching Dinov2Model; preprocess matches the HF processor")
    func imagesMatchTransformers() throws {
        let zoo = ZooRunner()
        let added = try zoo.run(["encoder", "add", "dino", "--from", Self.vision.appendingPathComponent("models/dinov2-tiny").path])
        #expect(added.status == 0, "\(added.stderr)")

        let output = zoo.scratch.appendingPathComponent("out.safetensors")
        let encoded = try zoo.run(["encode", "dino", "--images"] + Self.images + ["--tokens", "--output", output.path])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let mine = try SafeTensorsFile(url: output)
        let reference = try SafeTensorsFile(url: Self.vision.appendingPathComponent("reference/dinov2-tiny.safetensors"))
        #expect(try mine.info("embeddings").shape == [2, 48])
        #expect(try mine.info("tokens").shape == [2, 257, 48])
        let pooled = try mine.floats("embeddings")
        let expected = try reference.floats("pooled_224")
        for row in 0..<2 {
            #expect(Self.cosine(pooled[row * 48..<(row + 1) * 48], expected[row * 48..<(row + 1) * 48]) >= 0.99999)
        }
        let tokens = try mine.floats("tokens")
        let expectedTokens = try reference.floats("tokens_224")
        let scale = expectedTokens.map(abs).max() ?? 1
        let worst = zip(tokens, expectedTokens).map { abs($0 - $1) }.max() ?? 0
        #expect(worst / scale <= 1e-4, "tokens differ by \(worst) at scale \(scale)")

        // zoo preprocess writes the HF processor's pixel values; --pixels encodes them to the same embeddings.
        let pixels = zoo.scratch.appendingPathComponent("pixels.safetensors")
        let preprocessed = try zoo.run(["preprocess", "dino", "--images", Self.images[0], "--output", pixels.path])
        #expect(preprocessed.status == 0, "\(preprocessed.stderr)")
        let written = try SafeTensorsFile(url: pixels).floats("pixels")
        let hf = try SafeTensorsFile(url: Self.vision.appendingPathComponent("reference/preprocess.safetensors")).floats("china.jpg")
        let meanDiff = zip(written, hf).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(hf.count)
        #expect(written.count == hf.count && meanDiff < 1.0 / 255)
        let viaPixels = try zoo.run(["encode", "dino", "--pixels", pixels.path])
        #expect(viaPixels.status == 0, "\(viaPixels.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(viaPixels.stdout.utf8)) as? [String: Any])
        let embedding = try #require(line["embedding"] as? [Double]).map(Float.init)
        #expect(Self.cosine(embedding[...], expected[0..<48]) >= 0.99999)
    }

    @Test("bad images stop the run (65) unless --skip-bad; bad --pixels tensors are refused")
    func badImages() throws {
        let zoo = ZooRunner()
        #expect(try zoo.run(["encoder", "add", "dino", "--from", Self.vision.appendingPathComponent("models/dinov2-tiny").path]).status == 0)
        let truncated = zoo.scratch.appendingPathComponent("truncated.jpg")
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.images[0])).prefix(500)).write(to: truncated)
        let empty = zoo.scratch.appendingPathComponent("empty.png")
        try Data().write(to: empty)

        let stopped = try zoo.run(["encode", "dino", "--images", Self.images[0], truncated.path])
        #expect(stopped.status == 65)
        #expect(stopped.stderr.contains("truncated.jpg"))
        let missing = try zoo.run(["encode", "dino", "--images", zoo.scratch.appendingPathComponent("nope.jpg").path])
        #expect(missing.status == 66, "\(missing.stderr)")

        let skipped = try zoo.run(["encode", "dino", "--images", truncated.path, Self.images[0], empty.path, Self.images[1], "--skip-bad"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.split(separator: "\n").count == 2)
        #expect(skipped.stderr.contains("truncated.jpg") && skipped.stderr.contains("empty.png"))

        var writer = SafeTensorsWriter()
        try writer.add("pixels", floats: [Float](repeating: 0, count: 4 * 28 * 28), shape: [1, 4, 28, 28])
        let fourChannels = zoo.scratch.appendingPathComponent("four.safetensors")
        try writer.write(to: fourChannels)
        let refused = try zoo.run(["encode", "dino", "--pixels", fourChannels.path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("channels"))
        #expect(try zoo.run(["encode", "dino", "--text", "a dog"]).status == 64)
    }
}
