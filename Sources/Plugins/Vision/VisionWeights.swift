import Foundation
import Runtime

/// Reads a vision model's tensors by name, checking each shape: ``ModelWeights`` with its
/// errors reported as ``VisionEncoderError``.
struct VisionWeights: Sendable {
    let weights: ModelWeights

    /// Opens the safetensors file at `url`, accepting names bare or with any of `prefixes`.
    init(url: URL, prefixes: [String]) throws(VisionEncoderError) {
        do {
            weights = try ModelWeights(url: url, prefixes: prefixes)
        } catch {
            throw VisionEncoderError(error)
        }
    }

    /// Wraps an opened file, accepting names bare or with any of `prefixes`.
    init(file: SafeTensorsFile, prefixes: [String]) {
        weights = ModelWeights(file: file, prefixes: prefixes)
    }

    /// The tensor called `name`, which must have `shape`.
    func tensor(_ name: String, shape: [Int]) throws(VisionEncoderError) -> Tensor {
        do {
            return try weights.tensor(name, shape: shape)
        } catch {
            throw VisionEncoderError(error)
        }
    }

    /// The LayerNorm weight and bias under `module`, each of `width` elements.
    func layerNorm(_ module: String, width: Int) throws(VisionEncoderError) -> (weight: Tensor, bias: Tensor) {
        do {
            return try weights.layerNorm(module, width: width)
        } catch {
            throw VisionEncoderError(error)
        }
    }
}

extension VisionEncoderError {
    /// The same failure of the shared weight reader, as a vision error.
    init(_ error: TextEncoderError) {
        switch error {
        case .missingFile(let path):
            self = .missingFile(path: path)
        case .missingTensor(let name, let file):
            self = .missingTensor(name: name, file: file)
        case .shapeMismatch(let tensor, let expected, let found, let file):
            self = .shapeMismatch(tensor: tensor, expected: expected, found: found, file: file)
        case .unsupportedDType(let tensor, let dtype, let file):
            self = .unsupportedDType(tensor: tensor, dtype: dtype, file: file)
        case .safeTensors(let error):
            self = .safeTensors(error)
        case .invalidConfig(let file, let key, let reason):
            self = .invalidConfig(file: file, key: key, reason: reason)
        case .unsupportedActivation(let file, let activation):
            self = .unsupportedActivation(file: file, activation: activation)
        case .unsupportedModelType, .unsupportedModule, .emptySequence, .sequenceTooLong, .tokenOutOfRange:
            // The weight reader never throws these.
            self = .invalidConfig(file: "", key: nil, reason: error.description)
        }
    }
}
