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

    /// Fewest texts per thread for a batch to be split over the threads.
    static let sequencesPerThread = 8

    /// Loads `config.json`, `model.safetensors` and the tokenizer files of `folder`.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL) throws(ModelLoadError) {
        let config = try ClipTowerConfig(contentsOf: folder.appendingPathComponent("config.json"), tower: .text, family: .siglip)
        let weights = try WeightReader(url: folder.appendingPathComponent("model.safetensors"), roots: [])
        model = try SiglipTextModel(config: config, weights: weights)
        var loaded: any TextTokenizer
        do { loaded = try TokenizerLoader.load(folder: folder) } catch { throw .tokenizer(error) }
        if loaded.maxLength > config.maxPositions {
            do { loaded = try TokenizerLoader.load(folder: folder, maxLength: config.maxPositions) } catch { throw .tokenizer(error) }
        }
        if loaded.vocabularySize > config.vocabularySize || Int(loaded.padId) >= config.vocabularySize {
            throw .tokenizerMismatch(
                folder: folder.path,
                reason: "the tokenizer has \(loaded.vocabularySize) ids (padding with \(loaded.padId)) but the text tower's vocab_size is \(config.vocabularySize)")
        }
        tokenizer = loaded
    }

    public var width: Int { model.width }
    public var tokenWidth: Int { model.config.hiddenSize }
    public var maxLength: Int { tokenizer.maxLength }
    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Encodes `ids`, each padded to the tower's positions; with several threads and at least
    /// ``sequencesPerThread`` texts per thread the batch is split over the threads.
    public func encode(ids: [[Int32]]) throws -> TextEncoding {
        let threads = ComputeThreads.count
        let pad = tokenizer.padId
        let run = { (part: [[Int32]]) throws -> TextEncoding in
            let (states, pooled) = try model.forward(ids: part, padID: pad)
            let (tokens, mask) = states.padded()
            return TextEncoding(tokens: tokens, mask: mask, lengths: states.lengths, pooled: pooled)
        }
        guard threads > 1, ids.count >= Self.sequencesPerThread * threads, !ComputeThreads.isInsideParallelRegion else {
            return try run(ids)
        }
        return TextEncoding.concatenated(
            try DataParallel.map(lengths: ids.map(\.count), parts: threads) { try run(Array(ids[$0])) })
    }
}
