import Foundation
import Runtime

/// DINOv2 (transformers' `Dinov2Model`, and `Dinov2WithRegistersModel` with register tokens),
/// run natively by ``Dinov2Model``.
public struct Dinov2: VisionArchitecture {
    public init() {}
    public var id: String { "dinov2" }
    public var modelTypes: [String] { ["dinov2", "dinov2_with_registers"] }
    public var summary: String { "DINOv2 vision transformers, with or without register tokens, native on zoo's kernels" }
    public var weightRoots: [String] { ["dinov2.", "dinov2_with_registers."] }

    public func loadModel(folder: URL) throws(ModelLoadError) -> any VisionEncoder {
        try Dinov2Model(folder: folder)
    }
}
