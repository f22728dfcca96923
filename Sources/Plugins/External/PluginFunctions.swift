import CZooPlugin
import Runtime

/// A plugin's function pointers, unwrapped once after `PluginLibrary` checked that the ones
/// its modality needs are set. The other modality's are nil.
struct PluginFunctions: Sendable {
    typealias Create = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> UnsafeMutableRawPointer?
    typealias Describe = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<zoo_plugin_model_info>?) -> Int32
    typealias ImageTokens = @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, UnsafeMutablePointer<Int64>?) -> Int32
    typealias EncodeImages = @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int64, Int64, Int64, Int64, UnsafeMutablePointer<zoo_plugin_output>?
    ) -> Int32
    typealias EncodeTexts = @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int64>?, Int64,
        UnsafeMutablePointer<zoo_plugin_output>?
    ) -> Int32
    typealias LastError = @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>?
    typealias Destroy = @convention(c) (UnsafeMutableRawPointer?) -> Void

    let create: Create
    let describe: Describe
    let imageTokens: ImageTokens?
    let encodeImages: EncodeImages?
    let encodeTexts: EncodeTexts?
    let lastError: LastError
    let destroy: Destroy

    /// Unwraps the functions of `table`, failing on the first NULL one a `modality` plugin needs
    /// (in the order of `PluginLibrary.requiredFunctions`).
    init(_ table: zoo_plugin_api_v1, plugin: String, path: String, modality: Modality) throws(PluginError) {
        func required<Function>(_ function: Function?, _ name: String) throws(PluginError) -> Function {
            guard let function else {
                throw .missingFunction(plugin: plugin, path: path, function: name, modality: modality)
            }
            return function
        }
        create = try required(table.create, "create")
        describe = try required(table.describe, "describe")
        switch modality {
        case .vision:
            imageTokens = try required(table.image_tokens, "image_tokens")
            encodeImages = try required(table.encode_images, "encode_images")
            encodeTexts = nil
        case .text:
            imageTokens = nil
            encodeImages = nil
            encodeTexts = try required(table.encode_texts, "encode_texts")
        }
        lastError = try required(table.last_error, "last_error")
        destroy = try required(table.destroy, "destroy")
    }
}
