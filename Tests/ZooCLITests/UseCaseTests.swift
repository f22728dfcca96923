import Foundation
import Registry
import Runtime
import Testing
import ZooKit

/// ZooKit's use-cases called in-process, as a server or another program calls them: no binary,
/// no argument parsing, no progress bar.
@Suite("ZooKit use-cases, called directly", .serialized)
struct UseCaseTests {
    @Test("register encoders and a dataset, fill a cache, train a projector, load the pair")
    func registerEmbedTrainLoad() throws {
        try #require(TrainingFixtures.available, "dataset-fashion-mnist is not installed (scripts/setup.sh installs it)")
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("zoo-usecases-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("fm")
        try TrainingFixtures.subset(count: 64, into: data)
        let zoo = try ModelZoo(home: ZooHome(url: scratch.appendingPathComponent("home")))

        // Encoders: the backend is picked by model_type; a wrong --modality stores nothing.
        let vision = try EncoderRegistration.add(
            EncoderRegistration.Request(name: "dino", folder: URL(fileURLWithPath: TrainingFixtures.mnistViT)), zoo: zoo)
        #expect(vision.record.backend == "dinov2" && vision.record.modality == .vision)
        var textRequest = EncoderRegistration.Request(name: "tb", folder: ZooRunner.fixtures.appendingPathComponent("models/tiny-bert"))
        textRequest.modality = .vision
        #expect(throws: ZooError(.usage, "backend 'bert' is a text backend but --modality is vision; drop --modality or pick another --backend")) {
            try EncoderRegistration.add(textRequest, zoo: zoo)
        }
        #expect(try zoo.catalog.encoders().count == 1)
        textRequest.modality = nil
        let text = try EncoderRegistration.add(textRequest, zoo: zoo)
        #expect(text.record.backend == "bert" && text.record.pooledWidth == 32)

        // A pairs dataset made from labels.
        var datasetRequest = DatasetRegistration.Request(name: "fm", path: data.path, format: .idx)
        datasetRequest.classnames = TrainingFixtures.classNames
        datasetRequest.captionsFromLabels = TrainingFixtures.captionTemplates
        let (record, reader) = try DatasetRegistration.add(datasetRequest, zoo: zoo)
        #expect(record.task == DatasetTask.pairs.rawValue && reader.classNames?.count == 10)

        // The cache fills once; a second call finds every item.
        let settings = Embedding.Settings(tokens: false, dtype: .f32, batch: 16)
        let first = try DatasetEmbedding.run(zoo: zoo, encoder: "dino", dataset: "fm", settings: settings)
        #expect(first.encoded == 64 && first.cache.count == 64)
        #expect(try DatasetEmbedding.run(zoo: zoo, encoder: "dino", dataset: "fm", settings: settings).encoded == 0)

        // Training stores the projector; the loaded pair embeds into its space.
        var configuration = TrainingConfiguration()
        configuration.epochs = 2
        configuration.batchSize = 16
        let request = ProjectorTraining.Request(
            pair: try PairReference(parsing: "dino+tb"), dataset: "fm", usesTokens: false, configuration: configuration,
            architecture: { .pooled(kind: .linear, visionWidth: $0, textWidth: $1, outputWidth: 8) })
        let trained = try ProjectorTraining.run(zoo: zoo, request: request)
        #expect(trained.entry.reference == "dino+tb@v1" && trained.history.count == 2)
        #expect(try zoo.catalog.projectors().count == 1)
        let pair = try AlignedPair.load(zoo: zoo, pair: try PairReference(parsing: "dino+tb"))
        let embedded = try pair.embed(texts: ["a photo of a sneaker", "a photo of a bag"])
        #expect(embedded.rows == 2 && embedded.width == 8)
        for row in 0..<2 {
            let norm = (0..<8).map { embedded.values[row * 8 + $0] * embedded.values[row * 8 + $0] }.reduce(0, +)
            #expect(abs(norm - 1) < 1e-5)
        }
    }
}
