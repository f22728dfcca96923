import Foundation
import Runtime

/// Why a model folder could not be loaded, whatever its architecture: a missing file, a
/// config.json key, a weight, or the sentence-transformers pipeline.
public enum ModelLoadError: ReportableError, Equatable {
    /// A file the model folder needs is absent or unreadable.
    case missingFile(path: String)
    /// A JSON file is not a JSON object, or a key has a missing or unusable value.
    case invalidConfig(file: String, key: String?, reason: String)
    /// config.json's `model_type` names an architecture no registered one reads.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// config.json's `hidden_act` is not one of `gelu`, `gelu_new`, `gelu_pytorch_tanh`.
    case unsupportedActivation(file: String, activation: String)
    /// The sentence-transformers pipeline uses a module or pooling mode zoo lacks.
    case unsupportedModule(file: String, module: String)
    /// The weights file has no tensor by this name (looked up bare and under each task-model root).
    case missingTensor(name: String, file: String)
    /// A tensor's shape disagrees with what config.json implies.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int], file: String)
    /// A tensor is not floating point (F32, F16, BF16 or F64).
    case unsupportedDType(tensor: String, dtype: String, file: String)
    /// The safetensors file itself is malformed or unreadable.
    case safeTensors(SafeTensorsError)
    /// The folder's tokenizer files are missing, malformed or unsupported.
    case tokenizer(TokenizerError)
    /// The tokenizer and the model disagree (for example about the vocabulary size).
    case tokenizerMismatch(folder: String, reason: String)

    /// A one-line explanation that names the file, key or tensor concerned.
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
        case .unsupportedModule(let file, let module):
            return "\(file): \(module) is not supported"
        case .missingTensor(let name, let file):
            return "\(file): missing tensor '\(name)'"
        case .shapeMismatch(let tensor, let expected, let found, let file):
            return "\(file): tensor '\(tensor)' has shape \(found) but config.json implies \(expected)"
        case .unsupportedDType(let tensor, let dtype, let file):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), not a floating-point type"
        case .safeTensors(let error):
            return error.description
        case .tokenizer(let error):
            return error.description
        case .tokenizerMismatch(let folder, let reason):
            return "'\(folder)': \(reason)"
        }
    }

    /// A missing file is 66; anything else in the folder is malformed data, 65.
    public var exitStatus: ExitStatus {
        switch self {
        case .missingFile: return .noInput
        case .safeTensors(let error): return error.exitStatus
        case .tokenizer(let error): return error.exitStatus
        default: return .data
        }
    }
}
