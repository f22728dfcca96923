import Foundation
import Runtime

/// A SigLIP text tower with its tokenizer (`SiglipTokenizer` on the folder's `spiece.model`, or
/// its tokenizer.json): what `zoo` embeds texts with for an encoder of the `siglip-text`
/// backend. The pooled embedding is SigLIP's text embedding (`get_text_features`); the token
/// states are the real tokens' last hidden states.
public struct SiglipTextEncoder: TextEncoder {
    /// The folder's tokenizer, truncating to the tower's positions.
    public let tokenizer: any TextTokenizer
    /// The tower.
    public let model: SiglipTextModel


    /// Loads `config.json`, `model.safetensors` and the tokenizer files of `folder`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL) throws(ModelLoadError) {
        let config = try ClipTowerConfig(contentsOf: folder.appendingPathComponent("config.json"), tower: .text, family: .siglip)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: [])
        model = try SiglipTextModel(config: config, weights: weights)
        tokenizer = try TowerTextSupport.tokenizer(
            folder: folder, maxPositions: config.maxPositions, vocabularySize: config.vocabularySize, checkingPad: true)
    }

    public var width: Int { model.width }
    public var tokenWidth: Int { model.config.hiddenSize }
    public var maxLength: Int { tokenizer.maxLength }
    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Encodes `ids`, each padded to the tower's positions; with several threads and at least
    /// ``TowerTextSupport/sequencesPerThread`` texts per thread the batch is split over the threads.
    public func encode(ids: [[Int32]]) throws -> TextEncoding {
        let pad = tokenizer.padId
        return try TowerTextSupport.encode(ids) { try model.forward(ids: $0, padID: pad) }
    }
}
