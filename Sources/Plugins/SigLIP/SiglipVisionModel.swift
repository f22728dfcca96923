import Foundation
import Runtime

/// SigLIP's vision tower (transformers' `SiglipVisionModel`), run natively: the stride-`patch`
/// convolution (with bias) as one GEMM over unfolded patches, position embeddings, no class
/// token, the pre-norm layers CLIP's towers share, `post_layernorm` over every token, and the
/// attention-pooling head. ``encode(pixels:)`` returns the last hidden states (after
/// `post_layernorm`, as transformers) and the head's output as the pooled embedding (SigLIP's
/// image embedding, `get_image_features`); a checkpoint without the head (`vision_use_head`
/// false) pools by the mean of its tokens. Inputs must be `image_size` square.
public struct SiglipVisionModel: VisionEncoder {
    /// The tower's configuration.
    public let config: ClipTowerConfig
    private let patchProjection: PackedLinear
    private let patchBias: Tensor
    /// `[grid², hidden]`.
    private let positionTable: Tensor
    private let layers: [ClipEncoderLayer]
    private let postNormWeight: Tensor
    private let postNormBias: Tensor
    private let head: SiglipAttentionPoolingHead?

    /// Reads the tower from `weights` (a `SiglipModel`'s tensors under `vision_model.`, or a
    /// bare tower's), checking every shape against `config`.
    ///
    /// - Throws: ``ModelLoadError`` naming the tensor at fault.
    public init(config: ClipTowerConfig, weights: WeightReader) throws(ModelLoadError) {
        let d = config.hiddenSize
        let p = config.patchSize
        self.config = config
        let tower = weights.contains("vision_model.embeddings.patch_embedding.weight") ? weights.scoped("vision_model") : weights
        let embeddings = tower.scoped("embeddings")
        patchProjection = PackedLinear(weight: try embeddings.tensor(
            "patch_embedding.weight", shape: [d, config.channels, p, p]).reshaped([d, config.channels * p * p]))
        patchBias = try embeddings.tensor("patch_embedding.bias", shape: [d])
        positionTable = try embeddings.tensor("position_embedding.weight", shape: [config.gridSide * config.gridSide, d])
        var layers: [ClipEncoderLayer] = []
        for index in 0..<config.layerCount {
            layers.append(try ClipEncoderLayer(weights: tower.scoped("encoder.layers.\(index)"), config: config))
        }
        self.layers = layers
        (postNormWeight, postNormBias) = try tower.layerNorm("post_layernorm", width: d)
        head = config.usesHead ? try SiglipAttentionPoolingHead(weights: tower.scoped("head"), config: config) : nil
    }

    public var width: Int { config.hiddenSize }
    public var patchSize: Int { config.patchSize }
    public var registerCount: Int { 0 }

    /// Encodes preprocessed `pixels` `[N, channels, image_size, image_size]`.
    ///
    /// - Returns: `tokens` `[N, grid², hidden]` and `pooled` `[N, hidden]`.
    /// - Throws: ``VisionEncoderError/invalidPixelShape(shape:reason:)`` for any other shape.
    public func encode(pixels: Tensor) throws(VisionEncoderError) -> VisionEncoding {
        let side = config.imageSize
        guard pixels.rank == 4, pixels.shape[1] == config.channels, pixels.shape[2] == side, pixels.shape[3] == side else {
            throw .invalidPixelShape(
                shape: pixels.shape, reason: "SigLIP's vision tower takes [N, \(config.channels), \(side), \(side)] (its image_size)")
        }
        let images = pixels.shape[0]
        let width = config.hiddenSize
        let length = config.gridSide * config.gridSide
        let rows = images * length
        var tokens = Tensor(shape: [images, length, width])
        guard images > 0 else { return VisionEncoding(tokens: tokens, pooled: Tensor(shape: [0, width])) }
        var pooled = Tensor(shape: [images, width])
        tokens.withUnsafeMutableBufferPointer { buffer in
            let states = buffer.baseAddress!
            let unfoldedWidth = config.channels * config.patchSize * config.patchSize
            let unfolded = CacheLineMemory.floats(rows * unfoldedWidth)
            defer { unfolded.deallocate() }
            TensorKernels.unfoldPatches(
                pixels.baseAddress, images: images, channels: config.channels, height: side, width: side,
                patchSize: config.patchSize, output: unfolded)
            patchProjection(input: unfolded, rows: rows, bias: patchBias.baseAddress, output: states)
            let place = positionTable.baseAddress
            for row in 0..<rows {
                let line = states + row * width
                let position = place + (row % length) * width
                for column in 0..<width { line[column] += position[column] }
            }
            let workspace = ClipWorkspace(rows: rows, width: width, intermediateWidth: config.intermediateSize)
            let sequences = (0..<images).map { $0 * length..<($0 + 1) * length }
            for layer in layers {
                layer.forward(states, rows: rows, sequences: sequences, workspace: workspace, bias: nil)
            }
            TensorKernels.layerNorm(
                states, rows: rows, width: width, weight: postNormWeight.baseAddress, bias: postNormBias.baseAddress,
                epsilon: config.layerNormEpsilon)
            if let head {
                pooled = head.pool(states, images: images, length: length)
            }
        }
        if head == nil { pooled = tokens.meanPooled(mask: [UInt8](repeating: 1, count: rows)) }
        return VisionEncoding(tokens: tokens, pooled: pooled)
    }
}
