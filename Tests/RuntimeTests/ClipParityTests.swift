import Foundation
import Plugins
import Runtime
import Testing

/// CLIP's towers against transformers (`Tests/Fixtures/reference/tiny-clip`, written by
/// scripts/make_clip_fixtures.py from a random-initialised `CLIPModel`).
@Suite("CLIP towers match transformers")
struct ClipParityTests {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    private static var model: URL { fixtures.appendingPathComponent("models/tiny-clip") }
    private static var legacyModel: URL { fixtures.appendingPathComponent("models/tiny-clip-legacy") }

    private struct ReferenceIDs: Decodable {
        struct Text: Decodable {
            let text: String
            let input_ids: [Int32]
        }
        let sentences: [Text]
    }

    private static func reference() throws -> SafeTensorsFile {
        try SafeTensorsFile(url: fixtures.appendingPathComponent("reference/tiny-clip/outputs.safetensors"))
    }

    private static func referenceIDs() throws -> [[Int32]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference/tiny-clip/ids.json"))
        return try JSONDecoder().decode(ReferenceIDs.self, from: data).sentences.map(\.input_ids)
    }

    @Test("text tower: token states of every text within 1e-4, text features (causal mask, end-of-text pooling, projection) at cosine ≥ 0.9999")
    func textTower() throws {
        let encoder = try ClipTextEncoder(folder: Self.model)
        let ids = try Self.referenceIDs()
        #expect(ids.count == 53)
        let encoding = try encoder.encode(ids: ids)
        let reference = try Self.reference()
        let states = try reference.floats("text_token_states")
        let shape = try reference.info("text_token_states").shape
        let (longest, hidden) = (shape[1], shape[2])
        #expect(hidden == 32 && encoder.tokenWidth == 32 && encoder.width == 24)
        let ours = encoding.tokens.scalars
        let ourLongest = encoding.tokens.shape[1]
        var worst: Float = 0
        for (index, sequence) in ids.enumerated() {
            let count = sequence.count * hidden
            let theirs = states[(index * longest * hidden)..<(index * longest * hidden + count)]
            let mine = ours[(index * ourLongest * hidden)..<(index * ourLongest * hidden + count)]
            worst = max(worst, TowerParitySupport.relativeDifference(mine, theirs))
        }
        #expect(worst <= 1e-4, "token states differ by \(worst)")
        let features = try reference.floats("text_features")
        let pooled = encoding.pooled.scalars
        for index in ids.indices {
            let range = (index * 24)..<((index + 1) * 24)
            #expect(TowerParitySupport.cosine(pooled[range], features[range]) >= 0.9999, "text \(index)")
            #expect(TowerParitySupport.relativeDifference(pooled[range], features[range]) <= 1e-4, "text \(index)")
        }
        print("parity tiny-clip text: max relative Δ token states \(worst)")
    }

    @Test("text tower: texts alone, in one batch or split over threads give the same bits")
    func textBatching() throws {
        let encoder = try ClipTextEncoder(folder: Self.model)
        let ids = Array(try Self.referenceIDs().prefix(24))
        let together = try encoder.encode(ids: ids).pooled.scalars
        for index in [0, 7, 23] {
            let alone = try encoder.encode(ids: [ids[index]]).pooled.scalars
            #expect(alone == Array(together[(index * 24)..<((index + 1) * 24)]), "text \(index)")
        }
    }

    @Test("legacy configs (eos_token_id 2) pool each text at its largest id, as transformers does")
    func legacyPooling() throws {
        let encoder = try ClipTextEncoder(folder: Self.legacyModel)
        let ids = try Self.referenceIDs()
        #expect(encoder.model.poolingPosition([0, 5, 900, 3, 900, 1]) == 2)
        let pooled = try encoder.encode(ids: ids).pooled.scalars
        let reference = try Self.reference()
        let legacy = try reference.floats("legacy_text_features")
        let current = try reference.floats("text_features")
        var differsSomewhere = false
        for index in ids.indices {
            let range = (index * 24)..<((index + 1) * 24)
            #expect(TowerParitySupport.cosine(pooled[range], legacy[range]) >= 0.9999, "text \(index)")
            if TowerParitySupport.cosine(legacy[range], current[range]) < 0.99 { differsSomewhere = true }
        }
        // The two rules pick different positions, so a wrong rule would be caught.
        #expect(differsSomewhere)
    }

    @Test("vision tower: last hidden states within 1e-4, image features (post_layernorm, projection) at cosine ≥ 0.9999")
    func visionTower() throws {
        let model = try ClipVision().loadModel(folder: Self.model)
        let reference = try Self.reference()
        let pixels = Tensor(shape: try reference.info("vision_pixels").shape, scalars: try reference.floats("vision_pixels"))
        let encoding = try model.encode(pixels: pixels)
        #expect(encoding.tokens.shape == [3, 17, 32])
        #expect(encoding.pooled.shape == [3, 24])
        let worst = TowerParitySupport.relativeDifference(encoding.tokens.scalars[...], try reference.floats("vision_token_states")[...])
        #expect(worst <= 1e-4, "token states differ by \(worst)")
        let features = try reference.floats("vision_features")
        for index in 0..<3 {
            let range = (index * 24)..<((index + 1) * 24)
            #expect(TowerParitySupport.cosine(encoding.pooled.scalars[range], features[range]) >= 0.9999, "image \(index)")
        }
        // One image alone gives the bits it gets in the batch.
        let first = Tensor(shape: [1, 3, 32, 32], scalars: Array(pixels.scalars[0..<(3 * 32 * 32)]))
        #expect(try model.encode(pixels: first).pooled.scalars == Array(encoding.pooled.scalars[0..<24]))
        print("parity tiny-clip vision: max relative Δ token states \(worst)")
    }

    @Test("vision tower: an input that is not image_size square is refused, naming the shape it takes")
    func visionShape() throws {
        let model = try ClipVision().loadModel(folder: Self.model)
        #expect(throws: VisionEncoderError.self) { try model.encode(pixels: Tensor(shape: [1, 3, 40, 40])) }
        do {
            _ = try model.encode(pixels: Tensor(shape: [1, 3, 40, 40]))
        } catch {
            #expect("\(error)".contains("[N, 3, 32, 32]"))
        }
    }

    @Test("CLIPImageProcessor (shortest edge, bicubic, centre crop, CLIP's mean and deviation) as transformers on the real photos",
          arguments: ["astronaut_rgba.png", "camera_gray.png", "chelsea_cmyk.jpg", "china.jpg", "coffee.webp", "flower_exif6.jpg", "rocket_rgb16.png"])
    func clipPreprocessing(_ name: String) throws {
        let expected = try Self.reference().floats("preprocess/\(name)")
        let (values, differences) = try TowerParitySupport.preprocessed(
            model: Self.model, changes: ["size": ["shortest_edge": 64], "crop_size": ["height": 64, "width": 64]],
            image: Self.fixtures.appendingPathComponent("vision/images/\(name)"), expected: expected)
        #expect(values.shape == [3, 64, 64])
        let mean = differences.reduce(0, +) / Float(differences.count)
        // One step of 8-bit input is 1/255/σ ≈ 0.0146 after CLIP's normalisation.
        #expect(mean < 0.0146, "mean |Δ| \(mean)")
        if name.hasSuffix(".png") { #expect((differences.max() ?? 1) <= 1e-5, "a lossless file must match PIL: \(differences.max() ?? 1)") }
    }
}
