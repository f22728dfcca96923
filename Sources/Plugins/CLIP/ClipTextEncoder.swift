import Foundation
import Runtime

/// A CLIP text tower with its tokenizer: what `zoo` embeds texts with for an encoder of the
/// `clip-text` backend. The pooled embedding is CLIP's text embedding (`get_text_features`: the
/// end-of-text state projected into the joint space); the token states are the tower's last
/// hidden states.
public struct ClipTextEncoder: TextEncoder {
    /// The folder's CLIP tokenizer, truncating to the tower's positions.
    public let tokenizer: any TextTokenizer
    /// The tower.
    public let model: ClipTextModel


    /// Loads `config.json`, `model.safetensors` and the tokenizer files of `folder`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL) throws(ModelLoadError) {
        let config = try ClipTowerConfig(contentsOf: folder.appendingPathComponent("config.json"), tower: .text)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: [])
        model = try ClipTextModel(config: config, weights: weights)
        tokenizer = try TowerTextSupport.tokenizer(
            folder: folder, maxPositions: config.maxPositions, vocabularySize: config.vocabularySize)
    }

    public var width: Int { model.width }
    public var tokenWidth: Int { model.config.hiddenSize }
    public var maxLength: Int { tokenizer.maxLength }
    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Encodes `ids`; with several threads and at least ``TowerTextSupport/sequencesPerThread`` texts per thread
    /// the batch is split by token count over the threads (``DataParallel``).
    public func encode(ids: [[Int32]]) throws -> TextEncoding {
        return try TowerTextSupport.encode(ids) { try model.forward(ids: $0) }
    }
}
