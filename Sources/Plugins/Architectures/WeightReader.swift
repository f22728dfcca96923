import Foundation
import Runtime

/// Reads a model's tensors by name from a safetensors file, checking each shape, for any
/// architecture and modality.
///
/// A reader has a scope, the dotted path of the module it reads: ``scoped(_:)`` narrows it, so a
/// layer reads `weights.scoped("encoder.layer.3").tensor("output.dense.bias", …)` and never
/// assembles a full name. Checkpoints saved from a task model (`BertForMaskedLM`, …) put a root
/// before every backbone tensor (`bert.`, `dinov2.`); bare backbone checkpoints do not. Both are
/// accepted: a name is looked up bare, then under each of ``roots``. F16, BF16 and F64 tensors
/// become Float32 as they are read. LayerNorm parameters saved as `gamma`/`beta` are read too.
public struct WeightReader: Sendable {
    /// The file the tensors come from.
    public let file: SafeTensorsFile
    /// The task-model roots tried after the bare name, for example `["bert."]`.
    public let roots: [String]
    /// The dotted module path this reader reads under, ending in `.`; empty at the top.
    public let scope: String

    /// Wraps an opened file, accepting names bare or under any of `roots`.
    public init(file: SafeTensorsFile, roots: [String]) {
        self.init(file: file, roots: roots, scope: "")
    }

    /// Opens the safetensors file at `url`.
    ///
    /// - Throws: ``ModelLoadError/missingFile(path:)`` or ``ModelLoadError/safeTensors(_:)``.
    public init(url: URL, roots: [String]) throws(ModelLoadError) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingFile(path: url.path)
        }
        do {
            self.init(file: try SafeTensorsFile(url: url), roots: roots)
        } catch {
            throw .safeTensors(error)
        }
    }

    private init(file: SafeTensorsFile, roots: [String], scope: String) {
        self.file = file
        self.roots = roots
        self.scope = scope
    }

    /// A reader for the module `path` (dotted, without a trailing dot) under this one.
    public func scoped(_ path: String) -> WeightReader {
        WeightReader(file: file, roots: roots, scope: scope + path + ".")
    }

    /// Whether a tensor called `name` exists under this scope.
    public func contains(_ name: String) -> Bool { storedName(for: scope + name) != nil }

    /// The tensor called `name` under this scope, which must have `shape`.
    ///
    /// - Throws: ``ModelLoadError/missingTensor(name:file:)`` with the full name when no
    ///   spelling exists, ``ModelLoadError/shapeMismatch(tensor:expected:found:file:)`` with both
    ///   shapes, or ``ModelLoadError/unsupportedDType(tensor:dtype:file:)``.
    public func tensor(_ name: String, shape: [Int]) throws(ModelLoadError) -> Tensor {
        let fullName = scope + name
        guard let stored = storedName(for: fullName) else {
            throw .missingTensor(name: fullName, file: file.fileName)
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

    /// The LayerNorm weight and bias of module `name`, each of `width` elements.
    public func layerNorm(_ name: String, width: Int) throws(ModelLoadError) -> (weight: Tensor, bias: Tensor) {
        let module = scoped(name)
        if !module.contains("weight"), module.contains("gamma") {
            return (try module.tensor("gamma", shape: [width]), try module.tensor("beta", shape: [width]))
        }
        return (try module.tensor("weight", shape: [width]), try module.tensor("bias", shape: [width]))
    }

    /// The `weight` `[outputs, inputs]` and `bias` `[outputs]` of the linear module `name`.
    public func linear(_ name: String, inputs: Int, outputs: Int) throws(ModelLoadError) -> (weight: Tensor, bias: Tensor) {
        let module = scoped(name)
        return (try module.tensor("weight", shape: [outputs, inputs]), try module.tensor("bias", shape: [outputs]))
    }

    /// The linear modules `names` (each `[width, width]`) stacked into one `[n·width, width]`
    /// weight and their biases into `[n·width]`, as a fused query/key/value projection uses
    /// them; without `biases` the bias is zeros.
    public func stackedLinear(
        _ names: [String], width: Int, biases: Bool = true
    ) throws(ModelLoadError) -> (weight: Tensor, bias: Tensor) {
        var weight: [Float] = []
        var bias: [Float] = []
        weight.reserveCapacity(names.count * width * width)
        bias.reserveCapacity(names.count * width)
        for name in names {
            let module = scoped(name)
            weight += try module.tensor("weight", shape: [width, width]).scalars
            bias += biases ? try module.tensor("bias", shape: [width]).scalars : [Float](repeating: 0, count: width)
        }
        return (Tensor(shape: [names.count * width, width], scalars: weight), Tensor(shape: [names.count * width], scalars: bias))
    }

    /// The name under which `name` is stored: bare, or under the first root that has it.
    private func storedName(for name: String) -> String? {
        if file.contains(name) { return name }
        return roots.lazy.map { $0 + name }.first { file.contains($0) }
    }
}
