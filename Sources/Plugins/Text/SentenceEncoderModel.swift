import Foundation
import Runtime

/// The result of encoding a batch of token-id sequences: Runtime's ``TextEncoding``.
public typealias SentenceEncoding = TextEncoding

/// A sentence-transformers model folder run natively: a BERT or RoBERTa transformer, then
/// pooling, then optionally L2 normalisation.
///
/// The folder holds `config.json`, `model.safetensors` and, for sentence-transformers,
/// `modules.json` listing `Transformer`, `Pooling` (its folder's `config.json` picks mean or CLS
/// pooling) and optionally `Normalize`. Without `modules.json`, tokens are mean-pooled and not
/// normalised, as sentence-transformers does for a plain transformers folder.
public struct SentenceEncoderModel: Sendable {
    /// The transformer.
    public let transformer: any TextTransformer
    /// How token states become one embedding.
    public let pooling: PoolingMode
    /// Whether embeddings are L2-normalised.
    public let normalizes: Bool

    /// Assembles a model from its parts.
    public init(transformer: any TextTransformer, pooling: PoolingMode, normalizes: Bool) {
        self.transformer = transformer
        self.pooling = pooling
        self.normalizes = normalizes
    }

    /// Loads the model folder at `folder`; `model_type` in config.json picks BERT or RoBERTa.
    ///
    /// - Throws: ``TextEncoderError`` naming the file, key or tensor at fault.
    public init(folder: URL) throws(TextEncoderError) {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try TransformerConfig(contentsOf: configURL)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        let transformer: any TextTransformer
        switch config.modelType {
        case "bert":
            let weights = try ModelWeights(url: weightsURL, prefixes: ["bert."])
            transformer = try BertModel(config: config, weights: weights.file)
        case "roberta", "xlm-roberta":
            let weights = try ModelWeights(url: weightsURL, prefixes: ["roberta."])
            transformer = try RobertaModel(config: config, weights: weights.file)
        default:
            throw .unsupportedModelType(file: configURL.path, modelType: config.modelType)
        }
        let pipeline = try Self.readPipeline(folder: folder)
        self.init(transformer: transformer, pooling: pipeline.pooling, normalizes: pipeline.normalizes)
    }

    /// The width of token states and embeddings.
    public var width: Int { transformer.config.hiddenSize }

    /// Encodes a batch of variable-length token-id sequences (each with its special tokens,
    /// unpadded). The dense layers run on all tokens packed together, so lengths may differ
    /// freely without padding cost.
    public func encode(ids: [[Int32]]) throws(TextEncoderError) -> SentenceEncoding {
        let states = try transformer.forward(ids: ids)
        let (tokens, mask) = states.padded()
        return SentenceEncoding(tokens: tokens, mask: mask, lengths: states.lengths, pooled: pool(states))
    }

    /// The sentence embeddings alone, `[B, D]`: ``encode(ids:)``'s `pooled`, without padding the
    /// token states.
    public func pooledEmbeddings(ids: [[Int32]]) throws(TextEncoderError) -> Tensor {
        pool(try transformer.forward(ids: ids))
    }

    /// Pools `states` as modules.json says, then L2-normalises when listed.
    private func pool(_ states: PackedHiddenStates) -> Tensor {
        let pooled = states.pooled(pooling)
        return normalizes ? pooled.l2Normalized() : pooled
    }

    /// Reads modules.json and the pooling config; mean pooling without normalisation when
    /// modules.json is absent.
    private static func readPipeline(
        folder: URL
    ) throws(TextEncoderError) -> (pooling: PoolingMode, normalizes: Bool) {
        let modulesURL = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return (.mean, false) }
        let modules = try JSONObjectFile.readArray(modulesURL)
        var pooling = PoolingMode.mean
        var normalizes = false
        for case let module as [String: Any] in modules {
            let type = module["type"] as? String ?? ""
            switch type {
            case "sentence_transformers.models.Transformer":
                continue
            case "sentence_transformers.models.Pooling":
                let path = module["path"] as? String ?? ""
                pooling = try readPooling(folder.appendingPathComponent(path).appendingPathComponent("config.json"))
            case "sentence_transformers.models.Normalize":
                normalizes = true
            default:
                throw .unsupportedModule(file: modulesURL.path, module: "module type '\(type)'")
            }
        }
        return (pooling, normalizes)
    }

    /// The pooling mode of a sentence-transformers `Pooling` config: exactly one of
    /// `pooling_mode_mean_tokens` and `pooling_mode_cls_token` may be set.
    private static func readPooling(_ url: URL) throws(TextEncoderError) -> PoolingMode {
        let json = try JSONObjectFile.read(url)
        let enabled = json.filter { key, value in
            key.hasPrefix("pooling_mode_") && (value as? Bool ?? false)
        }.keys.sorted()
        switch enabled {
        case ["pooling_mode_mean_tokens"]: return .mean
        case ["pooling_mode_cls_token"]: return .cls
        case []:
            throw .invalidConfig(file: url.path, key: nil, reason: "enables no pooling mode")
        default:
            throw .unsupportedModule(
                file: url.path, module: "pooling \(enabled.joined(separator: " + ")) (only mean_tokens or cls_token alone)")
        }
    }
}
