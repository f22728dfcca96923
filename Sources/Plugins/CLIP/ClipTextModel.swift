import Foundation
import Runtime

/// CLIP's text tower (transformers' `CLIPTextModel`, with `CLIPModel`'s or
/// `CLIPTextModelWithProjection`'s `text_projection` when the checkpoint has one), run natively.
///
/// Token and position embeddings, pre-norm layers with a causal mask, a final LayerNorm; each
/// text is pooled at its first end-of-text token (at its largest id when the config's
/// `eos_token_id` is 2, as transformers does for configs older than 4.31) and projected into the
/// joint space. Sequences are packed without padding, so the padding mask transformers adds is
/// not needed: each text attends to its own tokens, causally.
public struct ClipTextModel: Sendable {
    /// The tower's configuration.
    public let config: ClipTowerConfig
    private let tokenEmbeddings: Tensor
    private let positionEmbeddings: Tensor
    private let layers: [ClipEncoderLayer]
    private let finalNormWeight: Tensor
    private let finalNormBias: Tensor
    /// `text_projection.weight` `[projection, hidden]`, nil in a bare `CLIPTextModel`.
    private let projection: PackedLinear?

    /// Reads the tower from `weights` (a `CLIPModel`'s tensors under `text_model.`, or a bare
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
        projection = weights.contains("text_projection.weight")
            ? PackedLinear(weight: try weights.tensor("text_projection.weight", shape: [config.projectionWidth, d]))
            : nil
    }

    /// The width of the pooled embedding: the projection's, or the hidden width without one.
    public var width: Int { projection == nil ? config.hiddenSize : config.projectionWidth }

    /// Where each text is pooled: its first `eos_token_id`, or position 0 when it has none; with
    /// the legacy `eos_token_id` 2, its first largest id.
    public func poolingPosition(_ sequence: [Int32]) -> Int {
        if config.endOfTextID == 2 {
            var best = 0
            for (index, id) in sequence.enumerated() where id > sequence[best] { best = index }
            return best
        }
        return sequence.firstIndex(of: Int32(truncatingIfNeeded: config.endOfTextID)) ?? 0
    }

    /// Runs the tower on unpadded token ids.
    ///
    /// - Returns: the last hidden states (after the final LayerNorm), packed, and the pooled
    ///   embeddings `[texts, width]`: the pooled states projected, or as they are without a
    ///   projection.
    /// - Throws: ``TextEncoderError`` for an empty or too long text or an id outside the
    ///   vocabulary.
    public func forward(ids: [[Int32]]) throws(TextEncoderError) -> (states: PackedHiddenStates, pooled: Tensor) {
        let width = config.hiddenSize
        for (index, sequence) in ids.enumerated() {
            guard !sequence.isEmpty else { throw .emptySequence(index: index) }
            guard sequence.count <= config.maxPositions else {
                throw .sequenceTooLong(index: index, length: sequence.count, maximum: config.maxPositions)
            }
            for (position, id) in sequence.enumerated() where id < 0 || Int(id) >= config.vocabularySize {
                throw .tokenOutOfRange(index: index, position: position, id: id, vocabularySize: config.vocabularySize)
            }
        }
        let lengths = ids.map(\.count)
        let rows = lengths.reduce(0, +)
        let sequences = PackedHiddenStates.ranges(for: lengths)
        var hidden = Tensor(shape: [rows, width])
        var pooledStates = Tensor(shape: [ids.count, width])
        hidden.withUnsafeMutableBufferPointer { buffer in
            guard let states = buffer.baseAddress, rows > 0 else { return }
            let tokens = tokenEmbeddings.baseAddress
            let places = positionEmbeddings.baseAddress
            for (sequence, range) in zip(ids, sequences) {
                for (position, id) in sequence.enumerated() {
                    let line = states + (range.lowerBound + position) * width
                    let token = tokens + Int(id) * width
                    let place = places + position * width
                    for column in 0..<width { line[column] = token[column] + place[column] }
                }
            }
            let workspace = ClipWorkspace(rows: rows, width: width, intermediateWidth: config.intermediateSize)
            for layer in layers {
                layer.forward(states, rows: rows, sequences: sequences, workspace: workspace, bias: CausalMask())
            }
            TensorKernels.layerNorm(
                states, rows: rows, width: width, weight: finalNormWeight.baseAddress,
                bias: finalNormBias.baseAddress, epsilon: config.layerNormEpsilon)
            pooledStates.withUnsafeMutableBufferPointer { pooled in
                for (item, (sequence, range)) in zip(ids, sequences).enumerated() {
                    let source = states + (range.lowerBound + poolingPosition(sequence)) * width
                    (pooled.baseAddress! + item * width).update(from: source, count: width)
                }
            }
        }
        let packed = PackedHiddenStates(states: hidden, lengths: lengths)
        guard let projection, !ids.isEmpty else { return (packed, pooledStates) }
        var projected = Tensor(shape: [ids.count, config.projectionWidth])
        projected.withUnsafeMutableBufferPointer { output in
            projection(input: pooledStates.baseAddress, rows: ids.count, bias: nil, output: output.baseAddress!)
        }
        return (packed, projected)
    }
}
