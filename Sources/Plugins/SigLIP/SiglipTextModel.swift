import Foundation
import Runtime

/// SigLIP's text tower (transformers' `SiglipTextModel`), run natively: token and position
/// embeddings, the pre-norm layers CLIP's towers share without a causal mask, a final LayerNorm,
/// and a linear head on the **last position** after padding each text to the maximum length, as
/// SigLIP was trained and as transformers' zero-shot pipeline calls it (`padding="max_length"`,
/// with the tokenizer's attention mask: no token attends to padding, and the pooled padding row
/// sees the real tokens only).
public struct SiglipTextModel: Sendable {
    /// The tower's configuration.
    public let config: ClipTowerConfig
    private let tokenEmbeddings: Tensor
    private let positionEmbeddings: Tensor
    private let layers: [ClipEncoderLayer]
    private let finalNormWeight: Tensor
    private let finalNormBias: Tensor
    private let head: PackedLinear
    private let headBias: Tensor

    /// Reads the tower from `weights` (a `SiglipModel`'s tensors under `text_model.`, or a bare
    /// tower's), checking every shape against `config`.
    ///
    /// - Throws: ``ModelLoadError`` naming the tensor at fault.
    public init(config: ClipTowerConfig, weights: WeightReader) throws(ModelLoadError) {
        let d = config.hiddenSize
        self.config = config
        let tower = weights.contains("text_model.embeddings.token_embedding.weight") ? weights.scoped("text_model") : weights
        let embeddings = tower.scoped("embeddings")
        tokenEmbeddings = try embeddings.tensor("token_embedding.weight", shape: [config.vocabularySize, d])
        positionEmbeddings = try embeddings.tensor("position_embedding.weight", shape: [config.maxPositions, d])
        var layers: [ClipEncoderLayer] = []
        for index in 0..<config.layerCount {
            layers.append(try ClipEncoderLayer(weights: tower.scoped("encoder.layers.\(index)"), config: config))
        }
        self.layers = layers
        (finalNormWeight, finalNormBias) = try tower.layerNorm("final_layer_norm", width: d)
        let linear = try tower.linear("head", inputs: d, outputs: config.projectionWidth)
        head = PackedLinear(weight: linear.weight)
        headBias = linear.bias
    }

    /// The width of the pooled embedding (`projection_size`).
    public var width: Int { config.projectionWidth }

    /// Runs the tower on token ids (each text's ids with its end-of-text token, unpadded), each
    /// padded with `padID` to `max_position_embeddings`.
    ///
    /// - Returns: the real tokens' last hidden states, packed, and the pooled embeddings.
    /// - Throws: ``TextEncoderError`` for an empty or too long text or an id outside the
    ///   vocabulary.
    public func forward(ids: [[Int32]], padID: Int32) throws(TextEncoderError) -> (states: PackedHiddenStates, pooled: Tensor) {
        let width = config.hiddenSize
        let length = config.maxPositions
        guard padID >= 0, Int(padID) < config.vocabularySize else {
            throw .tokenOutOfRange(index: 0, position: length - 1, id: padID, vocabularySize: config.vocabularySize)
        }
        for (index, sequence) in ids.enumerated() {
            guard !sequence.isEmpty else { throw .emptySequence(index: index) }
            guard sequence.count <= length else {
                throw .sequenceTooLong(index: index, length: sequence.count, maximum: length)
            }
            for (position, id) in sequence.enumerated() where id < 0 || Int(id) >= config.vocabularySize {
                throw .tokenOutOfRange(index: index, position: position, id: id, vocabularySize: config.vocabularySize)
            }
        }
        let lengths = ids.map(\.count)
        let rows = ids.count * length
        var padded = Tensor(shape: [rows, width])
        var real = Tensor(shape: [lengths.reduce(0, +), width])
        var lastRows = Tensor(shape: [ids.count, width])
        padded.withUnsafeMutableBufferPointer { buffer in
            guard let states = buffer.baseAddress, rows > 0 else { return }
            let tokens = tokenEmbeddings.baseAddress
            let places = positionEmbeddings.baseAddress
            for (item, sequence) in ids.enumerated() {
                for position in 0..<length {
                    let id = position < sequence.count ? sequence[position] : padID
                    let line = states + (item * length + position) * width
                    let token = tokens + Int(id) * width
                    let place = places + position * width
                    for column in 0..<width { line[column] = token[column] + place[column] }
                }
            }
            let workspace = ClipWorkspace(rows: rows, width: width, intermediateWidth: config.intermediateSize)
            let sequences = (0..<ids.count).map { $0 * length..<($0 + 1) * length }
            let mask = KeyPaddingMask(visible: lengths)
            for layer in layers {
                layer.forward(states, rows: rows, sequences: sequences, workspace: workspace, bias: mask)
            }
            TensorKernels.layerNorm(
                states, rows: rows, width: width, weight: finalNormWeight.baseAddress,
                bias: finalNormBias.baseAddress, epsilon: config.layerNormEpsilon)
            real.withUnsafeMutableBufferPointer { target in
                var row = 0
                for (item, count) in lengths.enumerated() {
                    (target.baseAddress! + row * width).update(from: states + item * length * width, count: count * width)
                    row += count
                }
            }
            lastRows.withUnsafeMutableBufferPointer { target in
                for item in ids.indices {
                    (target.baseAddress! + item * width).update(from: states + (item * length + length - 1) * width, count: width)
                }
            }
        }
        var pooled = Tensor(shape: [ids.count, config.projectionWidth])
        if !ids.isEmpty {
            pooled.withUnsafeMutableBufferPointer { output in
                head(input: lastRows.baseAddress, rows: ids.count, bias: headBias.baseAddress, output: output.baseAddress!)
            }
        }
        return (PackedHiddenStates(states: real, lengths: lengths), pooled)
    }
}
