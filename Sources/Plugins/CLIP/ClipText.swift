import Foundation
import Runtime

/// CLIP's text tower as a zoo text encoder (`clip`, `clip_text_model`): a full CLIP checkpoint
/// registers as a text encoder with `--modality text` (or `--backend clip-text`), and as a
/// vision encoder with ``ClipVision``. Its pooled embedding is CLIP's text embedding; its token
/// states are the tower's last hidden states.
public struct ClipText: TextEncoderBackend {
    public init() {}
    public var id: String { "clip-text" }
    public var modality: Modality { .text }
    public var modelTypes: [String] { ClipTowerConfig.modelTypes(for: .text) }
    public var summary: String { "CLIP text towers (causal pre-norm transformer, CLIP BPE, end-of-text pooling, text_projection), native on zoo's kernels" }

    /// Loads the whole tower and its tokenizer, so a folder with a missing or misshapen weight
    /// or an unreadable tokenizer is refused at registration, naming the tensor or file.
    public func inspect(folder: URL) throws -> CheckpointInspection {
        let encoder = try ClipTextEncoder(folder: folder)
        return CheckpointInspection(pooledWidth: encoder.width, tokenWidth: encoder.tokenWidth)
    }

    public func loadTextEncoder(folder: URL) throws -> any TextEncoder {
        try ClipTextEncoder(folder: folder)
    }
}
