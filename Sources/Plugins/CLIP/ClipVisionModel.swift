import Foundation
import Runtime

/// CLIP's vision tower (transformers' `CLIPVisionModel`, with `CLIPModel`'s or
/// `CLIPVisionModelWithProjection`'s `visual_projection` when the checkpoint has one), run
/// natively.
///
/// The stride-`patch` convolution (no bias) as one GEMM over unfolded patches, the class
/// embedding in front, position embeddings, `pre_layrnorm`, pre-norm layers; ``encode(pixels:)``
/// returns the last hidden states as transformers does (without the final LayerNorm) and, as
/// the pooled embedding, the class token after `post_layernorm`, projected into the joint space
/// (CLIP's image embedding, `get_image_features`). Inputs must be `image_size` square, as
/// transformers requires without `interpolate_pos_encoding`.
public struct ClipVisionModel: VisionEncoder {
    /// The tower's configuration.
    public let config: ClipTowerConfig
    /// `[hidden, channels · patch²]`: the convolution kernel flattened for unfolded patches.
    private let patchProjection: PackedLinear
    private let classEmbedding: Tensor
    /// `[1 + grid², hidden]`.
    private let positionTable: Tensor
    private let preNormWeight: Tensor
    private let preNormBias: Tensor
    private let layers: [ClipEncoderLayer]
    private let postNormWeight: Tensor
    private let postNormBias: Tensor
    /// `visual_projection.weight` `[projection, hidden]`, nil in a bare `CLIPVisionModel`.
    private let projection: PackedLinear?

    /// Reads the tower from `weights` (a `CLIPModel`'s tensors under `vision_model.`, or a bare
    /// tower's), checking every shape against `config`.
    ///
    /// - Throws: ``ModelLoadError`` naming the tensor at fault.
    public init(config: ClipTowerConfig, weights: WeightReader) throws(ModelLoadError) {
        let d = config.hiddenSize
        let p = config.patchSize
        self.config = config
        let tower = weights.contains("vision_model.embeddings.class_embedding") ? weights.scoped("vision_model") : weights
        let embeddings = tower.scoped("embeddings")
        patchProjection = PackedLinear(weight: try embeddings.tensor(
            "patch_embedding.weight", shape: [d, config.channels, p, p]).reshaped([d, config.channels * p * p]))
        classEmbedding = try embeddings.tensor("class_embedding", shape: [d])
        positionTable = try embeddings.tensor("position_embedding.weight", shape: [1 + config.gridSide * config.gridSide, d])
        (preNormWeight, preNormBias) = try tower.layerNorm("pre_layrnorm", width: d)
        var layers: [ClipEncoderLayer] = []
        for index in 0..<config.layerCount {
            layers.append(try ClipEncoderLayer(weights: tower.scoped("encoder.layers.\(index)"), config: config))
        }
        self.layers = layers
        (postNormWeight, postNormBias) = try tower.layerNorm("post_layernorm", width: d)
        projection = weights.contains("visual_projection.weight")
            ? PackedLinear(weight: try weights.tensor("visual_projection.weight", shape: [config.projectionWidth, d]))
            : nil
    }

    /// The width of the pooled embedding: the projection's, or the hidden width without one.
    public var width: Int { projection == nil ? config.hiddenSize : config.projectionWidth }
    /// The width of the token states.
    public var tokenWidth: Int { config.hiddenSize }
    public var patchSize: Int { config.patchSize }
    public var registerCount: Int { 0 }

    /// Encodes preprocessed `pixels` `[N, channels, image_size, image_size]`.
    ///
    /// - Returns: `tokens` `[N, 1 + grid², hidden]` (the last hidden states) and `pooled`
    ///   `[N, width]`.
    /// - Throws: ``VisionEncoderError/invalidPixelShape(shape:reason:)`` for any other shape.
    public func encode(pixels: Tensor) throws(VisionEncoderError) -> VisionEncoding {
        let side = config.imageSize
        guard pixels.rank == 4, pixels.shape[1] == config.channels, pixels.shape[2] == side, pixels.shape[3] == side else {
            throw .invalidPixelShape(
                shape: pixels.shape, reason: "CLIP's vision tower takes [N, \(config.channels), \(side), \(side)] (its image_size)")
        }
        let images = pixels.shape[0]
        let width = config.hiddenSize
        let patches = config.gridSide * config.gridSide
        let length = 1 + patches
        let rows = images * length
        var tokens = Tensor(shape: [images, length, width])
        var pooled = Tensor(shape: [images, self.width])
        guard images > 0 else { return VisionEncoding(tokens: tokens, pooled: pooled) }
        tokens.withUnsafeMutableBufferPointer { buffer in
            let states = buffer.baseAddress!
            embed(pixels: pixels.baseAddress, images: images, into: states)
            TensorKernels.layerNorm(
                states, rows: rows, width: width, weight: preNormWeight.baseAddress, bias: preNormBias.baseAddress,
                epsilon: config.layerNormEpsilon)
            let workspace = ClipWorkspace(rows: rows, width: width, intermediateWidth: config.intermediateSize)
            let sequences = (0..<images).map { $0 * length..<($0 + 1) * length }
            for layer in layers {
                layer.forward(states, rows: rows, sequences: sequences, workspace: workspace, bias: nil)
            }
            // The class tokens, post_layernorm'd, then projected.
            let classRows = CacheLineMemory.floats(images * width)
            defer { classRows.deallocate() }
            for image in 0..<images {
                (classRows + image * width).update(from: states + image * length * width, count: width)
            }
            TensorKernels.layerNorm(
                classRows, rows: images, width: width, weight: postNormWeight.baseAddress,
                bias: postNormBias.baseAddress, epsilon: config.layerNormEpsilon)
            pooled.withUnsafeMutableBufferPointer { output in
                if let projection {
                    projection(input: classRows, rows: images, bias: nil, output: output.baseAddress!)
                } else {
                    output.baseAddress!.update(from: classRows, count: images * width)
                }
            }
        }
        return VisionEncoding(tokens: tokens, pooled: pooled)
    }

    /// Writes each image's token rows: the class embedding, then the patches' projections, each
    /// plus its position embedding.
    private func embed(pixels: UnsafePointer<Float>, images: Int, into states: UnsafeMutablePointer<Float>) {
        let width = config.hiddenSize
        let patchSize = config.patchSize
        let patches = config.gridSide * config.gridSide
        let length = 1 + patches
        let unfoldedWidth = config.channels * patchSize * patchSize
        let unfolded = CacheLineMemory.floats(images * patches * unfoldedWidth)
        defer { unfolded.deallocate() }
        let projected = CacheLineMemory.floats(images * patches * width)
        defer { projected.deallocate() }
        TensorKernels.unfoldPatches(
            pixels, images: images, channels: config.channels, height: config.imageSize, width: config.imageSize,
            patchSize: patchSize, output: unfolded)
        patchProjection(input: unfolded, rows: images * patches, bias: nil, output: projected)
        let place = positionTable.baseAddress
        let cls = classEmbedding.baseAddress
        for image in 0..<images {
            for token in 0..<length {
                let line = states + (image * length + token) * width
                let position = place + token * width
                let source = token == 0 ? cls : UnsafePointer(projected + (image * patches + token - 1) * width)
                for column in 0..<width { line[column] = source[column] + position[column] }
            }
        }
    }
}
