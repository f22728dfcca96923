import Foundation
import Plugins
import Runtime
import Testing

/// SigLIP's towers against transformers (`Tests/Fixtures/reference/tiny-siglip`, written by
/// scripts/make_siglip_fixtures.py from a random-initialised `SiglipModel`).
@Suite("SigLIP towers match transformers")
struct SiglipParityTests {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    private static var model: URL { fixtures.appendingPathComponent("models/tiny-siglip") }

    private struct ReferenceIDs: Decodable {
        struct Text: Decodable {
            let text: String
            let input_ids: [Int32]
            let input_ids_untruncated: [Int32]
        }
        let sentences: [Text]
    }

    private static func reference() throws -> SafeTensorsFile {
        try SafeTensorsFile(url: fixtures.appendingPathComponent("reference/tiny-siglip/outputs.safetensors"))
    }

    private static func referenceIDs() throws -> [ReferenceIDs.Text] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference/tiny-siglip/ids.json"))
        return try JSONDecoder().decode(ReferenceIDs.self, from: data).sentences
    }

    private static func textModel() throws -> SiglipTextModel {
        let config = try ClipTowerConfig(contentsOf: model.appendingPathComponent("config.json"), tower: .text, family: .siglip)
        return try SiglipTextModel(config: config, weights: WeightReader(url: model.appendingPathComponent("model.safetensors"), roots: []))
    }

    @Test("text tower: real tokens' states within 1e-4, features pooled at the last padded position (attention mask on padding) at cosine ≥ 0.9999")
    func textTower() throws {
        let model = try Self.textModel()
        #expect(model.config.maxPositions == 16 && model.width == 24)
        let ids = try Self.referenceIDs().map(\.input_ids)
        let (states, pooled) = try model.forward(ids: ids, padID: 1)
        let reference = try Self.reference()
        let expected = try reference.floats("text_token_states")
        let ours = states.padded().tokens
        let ourLongest = ours.shape[1]
        var worst: Float = 0
        for (index, sequence) in ids.enumerated() {
            let count = sequence.count * 32
            worst = max(worst, TowerParitySupport.relativeDifference(
                ours.scalars[(index * ourLongest * 32)..<(index * ourLongest * 32 + count)],
                expected[(index * 16 * 32)..<(index * 16 * 32 + count)]))
        }
        #expect(worst <= 1e-4, "token states differ by \(worst)")
        let features = try reference.floats("text_features")
        for index in ids.indices {
            let range = (index * 24)..<((index + 1) * 24)
            #expect(TowerParitySupport.cosine(pooled.scalars[range], features[range]) >= 0.9999, "text \(index)")
            #expect(TowerParitySupport.relativeDifference(pooled.scalars[range], features[range]) <= 1e-4, "text \(index)")
        }
        // Texts that fill all 16 positions pool their own last token; the others a padding row.
        #expect(ids.contains { $0.count == 16 } && ids.contains { $0.count < 16 })
        print("parity tiny-siglip text: max relative Δ token states \(worst)")
    }

    @Test("vision tower: last hidden states (post_layernorm) within 1e-4, attention-pooled features at cosine ≥ 0.9999")
    func visionTower() throws {
        let model = try SiglipVision().loadModel(folder: Self.model)
        let reference = try Self.reference()
        let pixels = Tensor(shape: try reference.info("vision_pixels").shape, scalars: try reference.floats("vision_pixels"))
        let encoding = try model.encode(pixels: pixels)
        #expect(encoding.tokens.shape == [3, 16, 32])
        #expect(encoding.pooled.shape == [3, 32])
        let worst = TowerParitySupport.relativeDifference(encoding.tokens.scalars[...], try reference.floats("vision_token_states")[...])
        #expect(worst <= 1e-4, "token states differ by \(worst)")
        let features = try reference.floats("vision_features")
        for index in 0..<3 {
            let range = (index * 32)..<((index + 1) * 32)
            #expect(TowerParitySupport.cosine(encoding.pooled.scalars[range], features[range]) >= 0.9999, "image \(index)")
            #expect(TowerParitySupport.relativeDifference(encoding.pooled.scalars[range], features[range]) <= 1e-4, "image \(index)")
        }
        print("parity tiny-siglip vision: max relative Δ token states \(worst)")
    }

    @Test("SiglipImageProcessor (resize to a square, bilinear, mean and deviation 0.5) as transformers on the real photos",
          arguments: ["astronaut_rgba.png", "camera_gray.png", "chelsea_cmyk.jpg", "china.jpg", "coffee.webp", "flower_exif6.jpg", "rocket_rgb16.png"])
    func siglipPreprocessing(_ name: String) throws {
        let expected = try Self.reference().floats("preprocess/\(name)")
        let (values, differences) = try TowerParitySupport.preprocessed(
            model: Self.model, changes: ["size": ["height": 64, "width": 64]],
            image: Self.fixtures.appendingPathComponent("vision/images/\(name)"), expected: expected)
        #expect(values.shape == [3, 64, 64])
        let mean = differences.reduce(0, +) / Float(differences.count)
        // One step of 8-bit input is 2/255 ≈ 0.0078 after SigLIP's normalisation.
        #expect(mean < 0.0078, "mean |Δ| \(mean)")
        if name.hasSuffix(".png") { #expect((differences.max() ?? 1) <= 1e-5, "a lossless file must match PIL: \(differences.max() ?? 1)") }
    }
}
