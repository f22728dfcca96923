import Runtime

/// Why a vision encoder could not be loaded or run.
public enum VisionEncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file the model folder needs is absent or unreadable.
    case missingFile(path: String)
    /// config.json is not a JSON object, or a key has a missing or unusable value.
    case invalidConfig(file: String, key: String?, reason: String)
    /// config.json's `model_type` names an architecture this runtime does not run.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// config.json's `hidden_act` is not one of `gelu`, `gelu_new`, `gelu_pytorch_tanh`.
    case unsupportedActivation(file: String, activation: String)
    /// The weights file has no tensor by this name (looked up with and without the model prefix).
    case missingTensor(name: String, file: String)
    /// A tensor's shape disagrees with what config.json implies.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int], file: String)
    /// A tensor is not floating point (F32, F16, BF16 or F64).
    case unsupportedDType(tensor: String, dtype: String, file: String)
    /// The safetensors file itself is malformed or unreadable.
    case safeTensors(SafeTensorsError)
    /// The pixel tensor is not `[N, channels, H, W]` with the model's channel count and a
    /// non-empty image.
    case invalidPixelShape(shape: [Int], reason: String)
    /// The image height or width is not a multiple of the patch size.
    case imageSizeNotMultipleOfPatch(height: Int, width: Int, patchSize: Int)

    /// A one-line explanation that names the file, key, tensor or shape concerned.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file is missing or unreadable"
        case .invalidConfig(let file, let key?, let reason):
            return "\(file): '\(key)' \(reason)"
        case .invalidConfig(let file, nil, let reason):
            return "\(file): \(reason)"
        case .unsupportedModelType(let file, let modelType, let supported):
            return "\(file): model_type '\(modelType)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case .unsupportedActivation(let file, let activation):
            return "\(file): hidden_act '\(activation)' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh)"
        case .missingTensor(let name, let file):
            return "\(file): missing tensor '\(name)'"
        case .shapeMismatch(let tensor, let expected, let found, let file):
            return "\(file): tensor '\(tensor)' has shape \(found) but config.json implies \(expected)"
        case .unsupportedDType(let tensor, let dtype, let file):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), not a floating-point type"
        case .safeTensors(let error):
            return error.description
        case .invalidPixelShape(let shape, let reason):
            return "pixels of shape \(shape): \(reason)"
        case .imageSizeNotMultipleOfPatch(let height, let width, let patchSize):
            return "image size \(height) × \(width) is not a multiple of the patch size \(patchSize); resize or crop it to a multiple first"
        }
    }
}
