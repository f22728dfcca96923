import Foundation
import Runtime

/// Reads a model's tensors by name from a safetensors file, checking each shape.
///
/// Checkpoints saved from a task model (`BertForMaskedLM`, …) prefix every backbone tensor with
/// the model name (`bert.`, `roberta.`); bare `BertModel` checkpoints do not. Both spellings are
/// accepted. F16, BF16 and F64 tensors are converted to Float32 as they are read. Older
/// checkpoints that call LayerNorm parameters `gamma` and `beta` are read too.
public struct ModelWeights: Sendable {
    /// The file the tensors come from.
    public let file: SafeTensorsFile
    /// Prefixes tried after the bare name, for example `["bert."]`.
    public let prefixes: [String]

    /// Wraps an opened file, accepting names with any of `prefixes` or none.
    public init(file: SafeTensorsFile, prefixes: [String]) {
        self.file = file
        self.prefixes = prefixes
    }

    /// Opens the safetensors file at `url`.
    public init(url: URL, prefixes: [String]) throws(TextEncoderError) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingFile(path: url.path)
        }
        do {
            self.init(file: try SafeTensorsFile(url: url), prefixes: prefixes)
        } catch {
            throw .safeTensors(error)
        }
    }

    /// The tensor called `name` (with or without a prefix), which must have `shape`.
    ///
    /// - Throws: ``TextEncoderError/missingTensor(name:file:)`` naming `name` when no spelling
    ///   exists, ``TextEncoderError/shapeMismatch(tensor:expected:found:file:)`` with the
    ///   expected and stored shapes, or ``TextEncoderError/unsupportedDType(tensor:dtype:file:)``.
    public func tensor(_ name: String, shape: [Int]) throws(TextEncoderError) -> Tensor {
        guard let stored = storedName(for: name) else {
            throw .missingTensor(name: name, file: file.fileName)
        }
        let info: TensorInfo
        do { info = try file.info(stored) } catch { throw .safeTensors(error) }
        guard info.shape == shape else {
            throw .shapeMismatch(tensor: stored, expected: shape, found: info.shape, file: file.fileName)
        }
        guard info.dtype.isConvertibleToFloat else {
            throw .unsupportedDType(tensor: stored, dtype: info.dtype.rawValue, file: file.fileName)
        }
        do {
            return Tensor(shape: shape, scalars: try file.floats(stored))
        } catch {
            throw .safeTensors(error)
        }
    }

    /// The LayerNorm weight and bias under `module` (`….LayerNorm`), each of `width` elements.
    public func layerNorm(_ module: String, width: Int) throws(TextEncoderError) -> (weight: Tensor, bias: Tensor) {
        let weightName = module + ".weight"
        let biasName = module + ".bias"
        if storedName(for: weightName) == nil, storedName(for: module + ".gamma") != nil {
            return (
                try tensor(module + ".gamma", shape: [width]),
                try tensor(module + ".beta", shape: [width]))
        }
        return (try tensor(weightName, shape: [width]), try tensor(biasName, shape: [width]))
    }

    /// The name under which `name` is stored: bare, or with the first prefix that exists.
    private func storedName(for name: String) -> String? {
        if file.contains(name) { return name }
        return prefixes.lazy.map { $0 + name }.first { file.contains($0) }
    }
}
