import CZooPlugin
import Runtime

/// A vision encoder run by a plugin: pixels `[N, C, H, W]` go to `encode_images`, whose output
/// is checked by ``PluginOutputBuffers`` before it becomes a ``VisionEncoding``.
struct PluginVisionEncoder: VisionEncoder {
    let model: PluginModel

    var width: Int { model.info.pooledWidth }
    var patchSize: Int { model.info.patchSize }
    var registerCount: Int { model.info.registerCount }

    func encode(pixels: Tensor) throws -> VisionEncoding {
        try run(pixels)
    }

    private func run(_ pixels: Tensor) throws(PluginError) -> VisionEncoding {
        let plugin = model.library.name
        guard pixels.rank == 4, pixels.shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw .invalidInput(plugin: plugin, problem: "it takes pixels [N, channels, height, width] with non-empty images, not \(pixels.shape)")
        }
        let (count, channels, height, width) = (pixels.shape[0], pixels.shape[1], pixels.shape[2], pixels.shape[3])
        return try model.withHandle { functions, handle throws(PluginError) in
            var tokenCount: Int64 = -1
            let code = functions.imageTokens?(handle, Int64(channels), Int64(height), Int64(width), &tokenCount) ?? ZOO_PLUGIN_FAILED
            guard code == ZOO_PLUGIN_OK else { throw model.failure("image_tokens", code: code, handle: handle) }
            guard (1...PluginModelInfo.maxImageTokens).contains(tokenCount) else {
                throw .invalidSize(plugin: plugin, field: "image_tokens' token_count", value: tokenCount,
                                   rule: "an image yields 1…\(PluginModelInfo.maxImageTokens) tokens")
            }
            var buffers = try PluginOutputBuffers(
                count: count, pooledWidth: model.info.pooledWidth, tokenSlots: Int(tokenCount),
                tokenWidth: model.info.tokenWidth, plugin: plugin)
            if count > 0 {
                let status = pixels.withUnsafeBufferPointer { scalars in
                    buffers.call { output in
                        functions.encodeImages?(handle, scalars.baseAddress, Int64(count), Int64(channels),
                                                Int64(height), Int64(width), output) ?? ZOO_PLUGIN_FAILED
                    }
                }
                guard status == ZOO_PLUGIN_OK else { throw model.failure("encode_images", code: status, handle: handle) }
                try buffers.validate(plugin: plugin, exactLengths: true)
            }
            return VisionEncoding(tokens: buffers.tokenTensor(slots: Int(tokenCount)), pooled: buffers.pooledTensor())
        }
    }
}
