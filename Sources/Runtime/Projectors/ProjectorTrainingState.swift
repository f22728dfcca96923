import Foundation

/// Everything needed to resume training bit for bit, and its file.
///
/// The file is safetensors, tensors sorted by name:
/// - every projector parameter under its full name, F32 (as in the weights file);
/// - `logit_scale`, F32, shape `[]`;
/// - `adam.m.<name>` and `adam.v.<name>`, F32 with the parameter's shape, for every parameter
///   (including `logit_scale`) the optimiser has moments for;
/// - `adam.step`, I64, shape `[]`.
///
/// Metadata: `architecture` (the architecture JSON), `dropout_rng` (the projector's four
/// dropout generator states, decimal, comma-separated) and the caller's ``counters`` verbatim
/// (epoch, step, data-order RNG state, ...). No timestamps: the same state gives the same bytes.
/// Writing is atomic: a temporary file in the same folder, flushed to disk, then renamed over
/// the target, so a crash or a full disk leaves the previous file intact.
///
/// Not stored: the optimiser's hyperparameters (pass them to ``AdamW/init(state:beta1:beta2:epsilon:weightDecay:)``)
/// and ``PairProjector/isTraining`` (false after loading; set it again to resume training).
public struct ProjectorTrainingState: Sendable {
    /// The metadata keys the file itself uses; ``counters`` may not use them.
    public static let reservedMetadataKeys: Set<String> = [ProjectorFileIO.architectureKey, "dropout_rng"]

    /// The projector, with its weights and dropout generator states.
    public var projector: PairProjector
    /// The contrastive loss's `logit_scale` value.
    public var logitScale: Float
    /// The optimiser's step count and moments.
    public var optimizer: AdamWState
    /// The caller's scalar training counters, stored as metadata strings.
    public var counters: [String: String]

    /// Gathers a state to save.
    public init(projector: PairProjector, logitScale: Float, optimizer: AdamWState, counters: [String: String] = [:]) {
        self.projector = projector
        self.logitScale = logitScale
        self.optimizer = optimizer
        self.counters = counters
    }

    /// The file's bytes.
    public func serialized() throws(PairProjectorCheckpointError) -> [UInt8] {
        try ProjectorFileIO.serialized(writer(file: "<memory>"), file: "<memory>")
    }

    /// Writes the file to `url` atomically.
    ///
    /// - Throws: ``PairProjectorCheckpointError/badMetadata(file:key:reason:)`` when a counter
    ///   uses a reserved key, ``PairProjectorCheckpointError/inconsistentOptimizerState(file:tensor:reason:)``
    ///   when the optimiser holds moments for an unknown parameter or of the wrong size, or
    ///   ``PairProjectorCheckpointError/cannotWrite(file:reason:)``.
    public func write(to url: URL) throws(PairProjectorCheckpointError) {
        try ProjectorFileIO.write(writer(file: url.path), to: url)
    }

    private func writer(file: String) throws(PairProjectorCheckpointError) -> SafeTensorsWriter {
        for key in counters.keys.sorted() where Self.reservedMetadataKeys.contains(key) {
            throw .badMetadata(file: file, key: key, reason: "reserved for the training-state file itself")
        }
        var metadata = counters
        metadata["dropout_rng"] = projector.dropoutStates.map(String.init).joined(separator: ",")
        var writer = try projector.checkpointWriter(file: file, metadata: metadata)
        try ProjectorFileIO.add(&writer, "logit_scale", [logitScale], shape: [], file: file)
        var shapes: [String: [Int]] = ["logit_scale": []]
        for parameter in projector.parameters { shapes[parameter.name] = parameter.shape }
        guard optimizer.step >= 0 else { throw .inconsistentOptimizerState(file: file, tensor: "adam.step", reason: "negative step \(optimizer.step)") }
        for name in Set(optimizer.firstMoments.keys).union(optimizer.secondMoments.keys).sorted() {
            guard let shape = shapes[name] else {
                throw .inconsistentOptimizerState(file: file, tensor: "adam.m." + name, reason: "no parameter of that name")
            }
            for (prefix, moments) in [("adam.m.", optimizer.firstMoments), ("adam.v.", optimizer.secondMoments)] {
                guard let values = moments[name] else {
                    throw .inconsistentOptimizerState(file: file, tensor: prefix + name, reason: "missing while its partner moment exists")
                }
                guard values.count == shape.reduce(1, *) else {
                    throw .inconsistentOptimizerState(file: file, tensor: prefix + name, reason: "\(values.count) values for shape \(shape)")
                }
                try ProjectorFileIO.add(&writer, prefix + name, values, shape: shape, file: file)
            }
        }
        do {
            try writer.add("adam.step", int64s: [Int64(optimizer.step)], shape: [])
        } catch {
            throw .cannotWrite(file: file, reason: error.description)
        }
        return writer
    }

    /// Reads a file written by ``write(to:)``, checking every tensor's presence, dtype and
    /// shape, that no other tensor is present, that moments come in pairs for known
    /// parameters, and the metadata.
    ///
    /// - Throws: ``PairProjectorCheckpointError`` naming the file and, where it applies, the tensor.
    public init(contentsOf url: URL) throws(PairProjectorCheckpointError) {
        let file = try ProjectorFileIO.open(url)
        let fileName = file.fileName
        var shapes: [String: [Int]] = [:]
        // The optimiser and logit-scale tensors; the projector checks the rest.
        var extra: Set<String> = ["logit_scale", "adam.step"]
        for name in file.names where name.hasPrefix("adam.m.") || name.hasPrefix("adam.v.") { extra.insert(name) }
        var projector = try PairProjector(file: file, extraTensors: extra)
        for parameter in projector.parameters { shapes[parameter.name] = parameter.shape }
        shapes["logit_scale"] = []

        let logitScale = try ProjectorFileIO.floats(file, "logit_scale", shape: [])[0]
        guard file.contains("adam.step"), let stepInfo = try? file.info("adam.step") else {
            throw .missingTensor(file: fileName, tensor: "adam.step")
        }
        guard stepInfo.dtype == .int64 else { throw .wrongDType(file: fileName, tensor: "adam.step", dtype: stepInfo.dtype.rawValue, expected: "I64") }
        guard stepInfo.shape == [] else { throw .wrongShape(file: fileName, tensor: "adam.step", expected: [], actual: stepInfo.shape) }
        let step: Int64
        do {
            step = try file.int64s("adam.step")[0]
        } catch {
            throw .unreadable(file: fileName, reason: error.description)
        }
        guard step >= 0 else { throw .inconsistentOptimizerState(file: fileName, tensor: "adam.step", reason: "negative step \(step)") }

        guard let rng = file.metadata["dropout_rng"] else {
            throw .badMetadata(file: fileName, key: "dropout_rng", reason: "missing")
        }
        let states = rng.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0) }
        guard states.count == 4, states.allSatisfy({ $0 != nil }) else {
            throw .badMetadata(file: fileName, key: "dropout_rng", reason: "expected four comma-separated unsigned integers, got '\(rng)'")
        }
        projector.dropoutStates = states.map { $0! }

        var first: [String: [Float]] = [:]
        var second: [String: [Float]] = [:]
        for name in file.names.sorted() where name.hasPrefix("adam.m.") || name.hasPrefix("adam.v.") {
            let isFirst = name.hasPrefix("adam.m.")
            let parameter = String(name.dropFirst("adam.m.".count))
            guard let shape = shapes[parameter] else { throw .unexpectedTensor(file: fileName, tensor: name) }
            let partner = (isFirst ? "adam.v." : "adam.m.") + parameter
            guard file.contains(partner) else {
                throw .inconsistentOptimizerState(file: fileName, tensor: name, reason: "'\(partner)' is missing")
            }
            let values = try ProjectorFileIO.floats(file, name, shape: shape)
            if isFirst { first[parameter] = values } else { second[parameter] = values }
        }

        var counters = file.metadata
        for key in Self.reservedMetadataKeys { counters[key] = nil }
        self.init(
            projector: projector, logitScale: logitScale,
            optimizer: AdamWState(step: Int(step), firstMoments: first, secondMoments: second), counters: counters)
    }
}
