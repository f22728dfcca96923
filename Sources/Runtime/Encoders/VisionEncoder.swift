import Foundation

/// What a vision encoder returns for a batch of images.
public struct VisionEncoding: Sendable {
    /// Token states `[N, 1 + R + P, D]` after the final LayerNorm (Hugging Face's
    /// `last_hidden_state`): the class token, then the R register tokens, then the P patch tokens
    /// in row-major grid order.
    public let tokens: Tensor
    /// The pooled embedding `[N, D]`: the class token after the final LayerNorm (Hugging Face's
    /// `pooler_output`).
    public let pooled: Tensor

    /// Wraps the two outputs.
    public init(tokens: Tensor, pooled: Tensor) {
        self.tokens = tokens
        self.pooled = pooled
    }
}

/// A loaded image encoder that turns preprocessed pixels into token states and an embedding.
public protocol VisionEncoder: Sendable {
    /// Width of the pooled embedding (and of each token state unless ``tokenWidth`` differs).
    var width: Int { get }
    /// Width of each token state: ``width`` for most models; a CLIP tower's pooled embedding is
    /// its projection into the joint space, narrower or wider than its token states.
    var tokenWidth: Int { get }
    /// Side of the square patches the image is cut into, in pixels.
    var patchSize: Int { get }
    /// Register tokens between the class token and the patch tokens (0 when the model has none).
    var registerCount: Int { get }
    /// Encodes preprocessed `pixels` `[N, channels, H, W]` (already resized, cropped and
    /// normalised).
    func encode(pixels: Tensor) throws -> VisionEncoding
}

/// Backends that encode images provide a loader.
public protocol VisionEncoderBackend: EncoderBackend {
    /// Loads the encoder in `folder` (a Hugging Face model folder).
    func loadVisionEncoder(folder: URL) throws -> any VisionEncoder
}

extension VisionEncoder {
    public var tokenWidth: Int { width }
}
