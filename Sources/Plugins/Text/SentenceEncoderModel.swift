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
    public let transformer: TextTransformer
    /// How token states become one embedding.
    public let pooling: PoolingMode
    /// Whether embeddings are L2-normalised.
    public let normalizes: Bool

    /// Assembles a model from its parts.
    public init(transformer: TextTransformer, pooling: PoolingMode, normalizes: Bool) {
        self.transformer = transformer
        self.pooling = pooling
        self.normalizes = normalizes
    }

    /// Loads the model folder at `folder` with the built-in text architecture that reads its
    /// config.json's `model_type`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL) throws(ModelLoadError) {
        try self.init(folder: folder, architecture: BuiltinBackends.textArchitecture(folder: folder))
    }

    /// Loads the model folder at `folder` as `architecture`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL, architecture: any TextArchitecture) throws(ModelLoadError) {
        let config = try TransformerConfig(
            contentsOf: folder.appendingPathComponent("config.json"), defaultPadTokenID: architecture.defaultPadTokenID)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: architecture.weightRoots)
        let transformer = try TextTransformer(config: config, positions: architecture.positions, weights: weights, layout: architecture.layout)
        let pipeline = try Self.readPipeline(folder: folder, defaultPooling: architecture.defaultPooling)
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

    /// One entry of a sentence-transformers `modules.json`.
    private struct Module: Decodable {
        var type: String?
        var path: String?
    }

    /// The pooling modes of a sentence-transformers `Pooling` config.
    private struct PoolingConfig: Decodable {
        var poolingModeClsToken: Bool?
        var poolingModeMeanTokens: Bool?
        var poolingModeMaxTokens: Bool?
        var poolingModeMeanSqrtLenTokens: Bool?
        var poolingModeWeightedmeanTokens: Bool?
        var poolingModeLasttoken: Bool?

        /// The modes set to true, by their names in the file.
        var enabled: [String] {
            [
                ("pooling_mode_cls_token", poolingModeClsToken), ("pooling_mode_lasttoken", poolingModeLasttoken),
                ("pooling_mode_max_tokens", poolingModeMaxTokens), ("pooling_mode_mean_sqrt_len_tokens", poolingModeMeanSqrtLenTokens),
                ("pooling_mode_mean_tokens", poolingModeMeanTokens), ("pooling_mode_weightedmean_tokens", poolingModeWeightedmeanTokens),
            ].filter { $0.1 == true }.map(\.0)
        }
    }

    /// Reads modules.json and the pooling config; `defaultPooling` without normalisation when
    /// modules.json is absent.
    private static func readPipeline(
        folder: URL, defaultPooling: PoolingMode
    ) throws(ModelLoadError) -> (pooling: PoolingMode, normalizes: Bool) {
        let modulesURL = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return (defaultPooling, false) }
        let modules = try ConfigFile.decode([Module].self, from: modulesURL)
        var pooling = defaultPooling
        var normalizes = false
        for module in modules {
            let type = module.type ?? ""
            switch type {
            case "sentence_transformers.models.Transformer":
                continue
            case "sentence_transformers.models.Pooling":
                let config = folder.appendingPathComponent(module.path ?? "").appendingPathComponent("config.json")
                pooling = try readPooling(config)
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
    private static func readPooling(_ url: URL) throws(ModelLoadError) -> PoolingMode {
        let enabled = try ConfigFile.decode(PoolingConfig.self, from: url).enabled
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
