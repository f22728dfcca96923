import Foundation
import Runtime

/// SigLIP's text tower as a zoo text encoder (`siglip`, `siglip_text_model`): a full SigLIP
/// checkpoint registers as a text encoder with `--modality text` (or `--backend siglip-text`),
/// its tokenizer read from `spiece.model` as transformers' `SiglipTokenizer` reads it.
public struct SiglipText: TextEncoderBackend {
    public init() {}
    public var id: String { "siglip-text" }
    public var modality: Modality { .text }
    public var modelTypes: [String] { ClipTowerConfig.modelTypes(for: .text, family: .siglip) }
    public var summary: String { "SigLIP text towers (pre-norm transformer, SentencePiece spiece.model, last-position pooling after max-length padding, head), native on zoo's kernels" }

    /// Loads the whole tower and its tokenizer, so a folder with a missing or misshapen weight
    /// or an unreadable tokenizer is refused at registration, naming the tensor or file.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let encoder = try SiglipTextEncoder(folder: folder)
        return CheckpointInspection(pooledWidth: encoder.width, tokenWidth: encoder.tokenWidth)
    }

    public func loadTextEncoder(folder: URL) throws -> any TextEncoder {
        try SiglipTextEncoder(folder: folder)
    }
}
