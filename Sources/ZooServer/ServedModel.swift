import Foundation
import Registry
import Runtime
import ZooKit

/// A model the server answers for: a trained pair (joint-space embeddings, classification,
/// search queries) or a single encoder (its pooled embeddings, as `zoo encode` gives them),
/// with one batch queue per modality it takes.
final class ServedModel: Sendable {
    /// What is loaded.
    enum Kind: Sendable {
        case pair(AlignedPair)
        case text(any TextEncoder)
        case vision(any VisionEncoder, ImagePreprocessor?)
    }

    /// The catalog's name: `VISION+TEXT@TAG` for a pair, the encoder's name otherwise.
    let id: String
    let kind: Kind
    /// Token ids in, one row per sequence out.
    let texts: BatchQueue<[Int32]>?
    let images: BatchQueue<RGBImage>?

    init(id: String, kind: Kind, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.id = id
        self.kind = kind
        let batch = configuration.maxBatch
        switch kind {
        case .pair(var pair):
            pair.batchSize = batch
            let frozen = pair
            texts = BatchQueue(name: "\(id) text", maxBatch: batch, capacity: configuration.queueCapacity, window: configuration.batchWindow, workers: configuration.batchWorkers, metrics: metrics) { items in
                try Self.rows(frozen.embed(tokenIDs: items))
            }
            images = frozen.preprocessor.map { preprocessor in
                BatchQueue(name: "\(id) image", maxBatch: batch, capacity: configuration.queueCapacity, window: configuration.batchWindow, workers: configuration.batchWorkers, metrics: metrics) { items in
                    try Self.rows(frozen.embed(pixels: try preprocessor.batch(items)))
                }
            }
        case .text(let encoder):
            texts = BatchQueue(name: "\(id) text", maxBatch: batch, capacity: configuration.queueCapacity, window: configuration.batchWindow, workers: configuration.batchWorkers, metrics: metrics) { items in
                let pooled = try encoder.pooledEmbeddings(ids: items)
                return Self.rows(EmbeddingMatrix(values: pooled.scalars, rows: items.count, width: encoder.width))
            }
            images = nil
        case .vision(let encoder, let preprocessor):
            texts = nil
            images = preprocessor.map { preprocessor in
                BatchQueue(name: "\(id) image", maxBatch: batch, capacity: configuration.queueCapacity, window: configuration.batchWindow, workers: configuration.batchWorkers, metrics: metrics) { items in
                    let pooled = try encoder.encode(pixels: try preprocessor.batch(items)).pooled
                    return Self.rows(EmbeddingMatrix(values: pooled.scalars, rows: items.count, width: encoder.width))
                }
            }
        }
    }

    /// `pair` or `encoder`.
    var kindName: String {
        if case .pair = kind { return "pair" }
        return "encoder"
    }

    /// Width of the embeddings.
    var width: Int {
        switch kind {
        case .pair(let pair): return pair.width
        case .text(let encoder): return encoder.width
        case .vision(let encoder, _): return encoder.width
        }
    }

    /// The token ids of a text, special tokens included; empty for image-only models.
    func tokenize(_ text: String) -> [Int32] {
        switch kind {
        case .pair(let pair): return pair.textEncoder.tokenize(text)
        case .text(let encoder): return encoder.tokenize(text)
        case .vision: return []
        }
    }

    /// The preprocessor images go through, when the model takes images.
    var preprocessor: ImagePreprocessor? {
        switch kind {
        case .pair(let pair): return pair.preprocessor
        case .vision(_, let preprocessor): return preprocessor
        case .text: return nil
        }
    }

    static func rows(_ matrix: EmbeddingMatrix) -> [[Float]] {
        (0..<matrix.rows).map { Array(matrix.values[$0 * matrix.width..<($0 + 1) * matrix.width]) }
    }
}

/// The models and indexes the server has loaded, each loaded once (on first use, or at start
/// with `--preload`); concurrent first uses wait for the same load.
actor ModelPool {
    private let zoo: ModelZoo
    private let configuration: ServerConfiguration
    private let metrics: ServerMetrics
    private var models: [String: Task<ServedModel, any Error>] = [:]
    /// Names as requested → catalog keys, resolved once (a pair named without a tag stays the
    /// tag that was newest at its first use).
    private var resolved: [String: String] = [:]
    private var indexes: [String: Task<SearchIndexes.Opened, any Error>] = [:]

    init(zoo: ModelZoo, configuration: ServerConfiguration, metrics: ServerMetrics) {
        self.zoo = zoo
        self.configuration = configuration
        self.metrics = metrics
    }

    /// The catalog key of `name`: a pair reference (`A+B` resolves to its newest tag) or an
    /// encoder's name (aliases resolve).
    private func canonical(_ name: String) throws -> String {
        if name.contains("+") {
            return try zoo.catalog.projectorEntry(for: try PairReference(parsing: name)).reference
        }
        return try zoo.catalog.encoder(named: name).name
    }

    /// The model `name`, loading it on first use.
    ///
    /// - Throws: ``APIError`` 404 naming `param` for an unknown name, 400 for a bad one.
    func model(_ name: String, param: String = "model") async throws -> ServedModel {
        let key: String
        if let known = resolved[name] {
            key = known
        } else {
            do { key = try canonical(name) } catch let error as any ReportableError {
                throw APIError.from(error, param: param)
            }
            resolved[name] = key
        }
        if let task = models[key] { return try await Self.value(task, param: param) }
        let (zoo, configuration, metrics) = (self.zoo, self.configuration, self.metrics)
        let task = Task.detached { () throws -> ServedModel in
            if key.contains("+") {
                let pair = try AlignedPair.load(zoo: zoo, pair: try PairReference(parsing: key))
                return ServedModel(id: key, kind: .pair(pair), configuration: configuration, metrics: metrics)
            }
            switch try EncoderLoading.encoder(key, zoo: zoo).1 {
            case .text(let encoder):
                return ServedModel(id: key, kind: .text(encoder), configuration: configuration, metrics: metrics)
            case .vision(let encoder, let preprocessor):
                return ServedModel(id: key, kind: .vision(encoder, preprocessor), configuration: configuration, metrics: metrics)
            }
        }
        models[key] = task
        do { return try await Self.value(task, param: param) } catch {
            models[key] = nil
            throw error
        }
    }

    /// The index `name`, opened on first use.
    func index(_ name: String) async throws -> SearchIndexes.Opened {
        let key = name.lowercased()
        if let task = indexes[key] { return try await Self.value(task, param: "index") }
        let zoo = self.zoo
        let task = Task.detached { try SearchIndexes.open(zoo: zoo, name: name) }
        indexes[key] = task
        do { return try await Self.value(task, param: "index") } catch {
            indexes[key] = nil
            throw error
        }
    }

    private static func value<Value>(_ task: Task<Value, any Error>, param: String) async throws -> Value {
        do { return try await task.value } catch let error as any ReportableError {
            throw APIError.from(error, param: param)
        }
    }

    /// Pairs and encoders in the catalog, for `/v1/models`.
    func catalogModels() throws -> [ModelsResponse.Model] {
        let pairs = try zoo.catalog.projectors().map {
            ModelsResponse.Model(id: $0.reference, kind: "pair", modality: nil, width: nil)
        }
        let encoders = try zoo.catalog.encoders().map {
            ModelsResponse.Model(id: $0.name, kind: "encoder", modality: $0.record.modality.rawValue, width: $0.record.pooledWidth)
        }
        return pairs + encoders
    }
}
