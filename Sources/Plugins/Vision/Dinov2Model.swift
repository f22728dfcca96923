import Foundation
import Runtime

/// A DINOv2 vision transformer (transformers' `Dinov2Model` or `Dinov2WithRegistersModel`), run
/// natively on OpenBLAS.
///
/// ``encode(pixels:)`` returns what transformers returns as `last_hidden_state` (after the final
/// LayerNorm) and `pooler_output` (its class token). The tokens of a batch (or, with several
/// threads, of each thread's share of the batch) are packed into one `[N·T, D]` matrix for every
/// dense layer; attention runs per image and head.
///
/// Unlike transformers, which silently drops the pixel rows and columns beyond the last whole
/// patch, the input height and width must be multiples of the patch size.
public struct Dinov2Model: VisionEncoder {
    /// The configuration the weights were checked against.
    public let config: Dinov2Config
    private let embeddings: Dinov2Embeddings
    private let layers: [Dinov2Layer]
    private let finalNormWeight: Tensor
    private let finalNormBias: Tensor
    private let workspaces = Dinov2WorkspaceCache()

    /// Builds the model from `config` and `weights` (names with or without `dinov2.` or
    /// `dinov2_with_registers.`).
    ///
    /// - Throws: ``ModelLoadError/missingTensor(name:file:)`` or
    ///   ``ModelLoadError/shapeMismatch(tensor:expected:found:file:)`` naming the tensor.
    public init(config: Dinov2Config, weights: SafeTensorsFile) throws(ModelLoadError) {
        try self.init(config: config, weights: WeightReader(file: weights, roots: Dinov2().weightRoots))
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face model folder.
    public init(folder: URL) throws(ModelLoadError) {
        let config = try Dinov2Config(contentsOf: folder.appendingPathComponent("config.json"))
        let weights = try WeightReader(
            url: folder.appendingPathComponent("model.safetensors"), roots: Dinov2().weightRoots)
        try self.init(config: config, weights: weights)
    }

    /// Builds the model from `config` and `weights`, checking every shape.
    public init(config: Dinov2Config, weights: WeightReader) throws(ModelLoadError) {
        self.config = config
        embeddings = try Dinov2Embeddings(weights: weights.scoped("embeddings"), config: config)
        var layers: [Dinov2Layer] = []
        for index in 0..<config.layerCount {
            layers.append(try Dinov2Layer(weights: weights.scoped("encoder.layer.\(index)"), config: config))
        }
        self.layers = layers
        (finalNormWeight, finalNormBias) = try weights.layerNorm("layernorm", width: config.hiddenSize)
    }

    /// The width of token states and of the pooled embedding.
    public var width: Int { config.hiddenSize }
    /// The side of the square patches, in pixels.
    public var patchSize: Int { config.patchSize }
    /// Register tokens after the class token (0 for `Dinov2Model`).
    public var registerCount: Int { config.registerCount }

    /// The position embeddings `[1, 1 + gridHeight · gridWidth, width]` added for an input of
    /// `gridHeight × gridWidth` patches: what transformers 5.24's `interpolate_pos_encoding`
    /// returns (the class position first, then the grid row-major).
    public func positionEmbeddings(gridHeight: Int, gridWidth: Int) -> Tensor {
        precondition(gridHeight > 0 && gridWidth > 0, "the patch grid must not be empty")
        let table = embeddings.positions(gridHeight: gridHeight, gridWidth: gridWidth)
        return table.reshaped([1] + table.shape)
    }

    /// Encodes preprocessed `pixels` `[N, channels, H, W]`.
    ///
    /// - Returns: `tokens` `[N, 1 + registers + (H/patch)·(W/patch), width]` and `pooled`
    ///   `[N, width]`.
    /// - Throws: ``VisionEncoderError/invalidPixelShape(shape:reason:)`` for a tensor that is not
    ///   `[N, channels, H, W]` with a non-empty image, or
    ///   ``VisionEncoderError/imageSizeNotMultipleOfPatch(height:width:patchSize:)``.
    public func encode(pixels: Tensor) throws(VisionEncoderError) -> VisionEncoding {
        guard pixels.rank == 4 else {
            throw .invalidPixelShape(shape: pixels.shape, reason: "expected [N, \(config.channels), H, W]")
        }
        let (images, channels, height, imageWidth) = (pixels.shape[0], pixels.shape[1], pixels.shape[2], pixels.shape[3])
        guard channels == config.channels else {
            throw .invalidPixelShape(
                shape: pixels.shape, reason: "the model takes \(config.channels) channels, not \(channels)")
        }
        guard height > 0, imageWidth > 0 else {
            throw .invalidPixelShape(shape: pixels.shape, reason: "the image is empty")
        }
        guard height % patchSize == 0, imageWidth % patchSize == 0 else {
            throw .imageSizeNotMultipleOfPatch(height: height, width: imageWidth, patchSize: patchSize)
        }
        let patches = (height / patchSize) * (imageWidth / patchSize)
        let tokensPerImage = 1 + registerCount + patches
        let width = self.width
        let pixelsPerImage = channels * height * imageWidth
        var tokens = Tensor(shape: [images, tokensPerImage, width])
        let shares = Self.shares(images: images)
        tokens.withUnsafeMutableBufferPointer { buffer in
            guard let states = buffer.baseAddress, images > 0 else { return }
            let run = { (share: Range<Int>) in
                let rows = share.count * tokensPerImage
                let workspace = workspaces.take(rows: rows) {
                    Dinov2Workspace(
                        rows: rows, width: width,
                        expandedWidth: layers.first?.feedForward.expandedWidth ?? 0,
                        gatedWidth: config.usesSwiGLU ? config.feedForwardWidth : 0)
                }
                defer { workspaces.giveBack(workspace) }
                let hidden = states + share.lowerBound * tokensPerImage * width
                embeddings.embed(
                    pixels: pixels.baseAddress + share.lowerBound * pixelsPerImage, images: share.count,
                    height: height, width: imageWidth, into: hidden)
                forwardLayers(hidden, images: share.count, length: tokensPerImage, workspace: workspace)
            }
            if shares.count == 1 {
                run(shares[0])
            } else {
                ComputeThreads.withSingleThreadedBLAS {
                    ParallelRows.run(workers: shares.count) { run(shares[$0]) }
                }
            }
        }
        return VisionEncoding(tokens: tokens, pooled: tokens.clsPooled())
    }

    /// How a batch of `images` is split across threads: with ``ComputeThreads/count`` above 1
    /// and at least two images per thread, into that many contiguous, near-equal shares, each
    /// run through the whole model on its own thread with single-threaded BLAS (no fork-join per
    /// GEMM, and the element-wise layers and attention are spread too); otherwise one share,
    /// whose GEMMs, attention and element-wise loops use the threads themselves.
    static func shares(images: Int) -> [Range<Int>] {
        let threads = ComputeThreads.count
        guard threads > 1, images >= 2 * threads, !ComputeThreads.isInsideParallelRegion else {
            return [0..<images]
        }
        return DataParallel.split(lengths: Array(repeating: 1, count: images), parts: threads)
    }

    /// Runs every layer and the final LayerNorm in place on the embedded rows.
    private func forwardLayers(
        _ hidden: UnsafeMutablePointer<Float>, images: Int, length: Int, workspace: Dinov2Workspace
    ) {
        let rows = images * length
        for (index, layer) in layers.enumerated() {
            if index == 0 { layer.enter(hidden, rows: rows, normed: workspace.normed) }
            layer.forward(hidden, images: images, length: length, workspace: workspace)
            if index + 1 < layers.count {
                layers[index + 1].enter(hidden, rows: rows, normed: workspace.normed)
            }
        }
        TensorKernels.layerNorm(
            hidden, rows: rows, width: width, weight: finalNormWeight.baseAddress,
            bias: finalNormBias.baseAddress, epsilon: config.layerNormEpsilon)
    }
}
