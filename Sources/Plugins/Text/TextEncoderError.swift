import Runtime

/// Why a text encoder could not be loaded or run.
public enum TextEncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file the model folder needs is absent or unreadable.
    case missingFile(path: String)
    /// A JSON file is not a JSON object, or a key has a missing or unusable value.
    case invalidConfig(file: String, key: String?, reason: String)
    /// config.json's `model_type` names an architecture this runtime does not run.
    case unsupportedModelType(file: String, modelType: String)
    /// config.json's `hidden_act` is not one of `gelu`, `gelu_new`, `gelu_pytorch_tanh`.
    case unsupportedActivation(file: String, activation: String)
    /// The sentence-transformers pipeline uses a module or pooling mode this runtime lacks.
    case unsupportedModule(file: String, module: String)
    /// The weights file has no tensor by this name (looked up with and without the model prefix).
    case missingTensor(name: String, file: String)
    /// A tensor's shape disagrees with what config.json implies.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int], file: String)
    /// A tensor is not floating point (F32, F16, BF16 or F64).
    case unsupportedDType(tensor: String, dtype: String, file: String)
    /// The safetensors file itself is malformed or unreadable.
    case safeTensors(SafeTensorsError)
    /// A sequence in the batch has no tokens.
    case emptySequence(index: Int)
    /// A sequence is longer than the position embeddings allow.
    case sequenceTooLong(index: Int, length: Int, maximum: Int)
    /// A token id lies outside the vocabulary.
    case tokenOutOfRange(index: Int, position: Int, id: Int32, vocabularySize: Int)

    /// A one-line explanation that names the file, key or tensor concerned.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file is missing or unreadable"
        case .invalidConfig(let file, let key?, let reason):
            return "\(file): '\(key)' \(reason)"
        case .invalidConfig(let file, nil, let reason):
            return "\(file): \(reason)"
        case .unsupportedModelType(let file, let modelType):
            return "\(file): model_type '\(modelType)' is not supported (supported: bert, roberta, xlm-roberta)"
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
        case .emptySequence(let index):
            return "sequence \(index) has no tokens"
        case .sequenceTooLong(let index, let length, let maximum):
            return "sequence \(index) has \(length) tokens; the model takes at most \(maximum)"
        case .tokenOutOfRange(let index, let position, let id, let vocabularySize):
            return "sequence \(index), position \(position): token id \(id) is outside the vocabulary of \(vocabularySize)"
        }
    }
}
