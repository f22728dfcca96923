import Foundation

/// How an embedding cache stores its values: pooled width, token width, whether token states
/// are kept, and the element type on disk. Written once to `cache.json` in the cache folder;
/// every segment must agree with it.
public struct EmbeddingCacheLayout: Codable, Sendable, Equatable {
    /// Width of the pooled embedding.
    public var pooledWidth: Int
    /// Width of each token state (0 when tokens are not kept).
    public var tokenWidth: Int
    /// Whether token states are stored.
    public var tokens: Bool
    /// The element type on disk.
    public var dtype: EmbeddingDType

    /// Creates a layout.
    public init(pooledWidth: Int, tokenWidth: Int, tokens: Bool, dtype: EmbeddingDType) {
        self.pooledWidth = pooledWidth
        self.tokenWidth = tokens ? tokenWidth : 0
        self.tokens = tokens
        self.dtype = dtype
    }

    enum CodingKeys: String, CodingKey {
        case tokens, dtype
        case pooledWidth = "pooled_width"
        case tokenWidth = "token_width"
    }
}

/// The element type of cached embeddings.
public enum EmbeddingDType: String, Codable, Sendable, CaseIterable {
    /// 32-bit floats: exact.
    case f32
    /// IEEE half floats: half the disk space, about 3 decimal digits.
    case f16

    /// The safetensors dtype.
    var safeTensorsType: DType { self == .f32 ? .float32 : .float16 }
}
