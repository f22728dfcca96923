import Foundation

/// The projector weights file: a safetensors file holding every parameter under its full name
/// (``PairProjector/parameters``) as F32 with its shape, sorted by name, and one metadata entry,
/// `architecture`, the architecture's ``ProjectorArchitecture/jsonString``. Nothing else (no
/// timestamps), so identical weights and architecture give identical bytes.
extension PairProjector {
    /// The weights file's bytes.
    ///
    /// - Throws: ``PairProjectorCheckpointError/cannotWrite(file:reason:)`` if the writer refuses
    ///   a tensor (it cannot for a valid projector).
    public func checkpointBytes() throws(PairProjectorCheckpointError) -> [UInt8] {
        try ProjectorFileIO.serialized(checkpointWriter(file: "<memory>"), file: "<memory>")
    }

    /// Writes the weights file to `url` atomically (a temporary file in the same folder,
    /// flushed to disk, then renamed), so a failure leaves any previous file intact.
    public func save(to url: URL) throws(PairProjectorCheckpointError) {
        try ProjectorFileIO.write(checkpointWriter(file: url.path), to: url)
    }

    /// Loads a weights file written by ``save(to:)``: the architecture from its metadata, then
    /// every parameter, checking that each expected tensor is present as F32 with the right
    /// shape and that there are no others. Gradients start at zero; dropout generators are
    /// seeded as ``init(architecture:seed:)`` with seed 0 seeds them.
    ///
    /// - Throws: ``PairProjectorCheckpointError`` naming the file and, where it applies, the tensor.
    public init(contentsOf url: URL) throws(PairProjectorCheckpointError) {
        let file = try ProjectorFileIO.open(url)
        try self.init(file: file, extraTensors: [])
    }

    /// A projector from an opened file whose tensors are this projector's parameters plus
    /// `extraTensors` (checked by the caller); any other tensor is an error.
    init(file: SafeTensorsFile, extraTensors: Set<String>) throws(PairProjectorCheckpointError) {
        let architecture = try ProjectorFileIO.architecture(in: file)
        do {
            self = try PairProjector(architecture: architecture, seed: 0)
        } catch {
            throw .invalidArchitecture(file: file.fileName, reason: error.description)
        }
        var expected = Set<String>()
        var failure: PairProjectorCheckpointError?
        visitParameters { name, parameter in
            expected.insert(name)
            guard failure == nil else { return }
            do throws(PairProjectorCheckpointError) {
                parameter.value = try ProjectorFileIO.floats(file, name, shape: parameter.shape)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        for name in file.names.sorted() where !expected.contains(name) && !extraTensors.contains(name) {
            throw .unexpectedTensor(file: file.fileName, tensor: name)
        }
    }

    /// A writer holding every parameter and the architecture metadata.
    func checkpointWriter(file: String, metadata: [String: String] = [:]) throws(PairProjectorCheckpointError) -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: metadata)
        writer.metadata[ProjectorFileIO.architectureKey] = architecture.jsonString
        for parameter in parameters {
            try ProjectorFileIO.add(&writer, parameter.name, parameter.value, shape: parameter.shape, file: file)
        }
        return writer
    }

    /// The states of the four dropout generators (vision local, vision CLS, text token, text
    /// head; 0 for an absent head), for resuming training exactly.
    public var dropoutStates: [UInt64] {
        get {
            [visionLocal.dropoutRandom.stateValue, visionCLS.dropoutRandom.stateValue,
             textToken.dropoutRandom.stateValue, textHead?.dropoutRandom.stateValue ?? 0]
        }
        set {
            precondition(newValue.count == 4, "PairProjector: expected 4 dropout states, got \(newValue.count)")
            visionLocal.dropoutRandom = ProjectorRandom(seed: newValue[0])
            visionCLS.dropoutRandom = ProjectorRandom(seed: newValue[1])
            textToken.dropoutRandom = ProjectorRandom(seed: newValue[2])
            textHead?.dropoutRandom = ProjectorRandom(seed: newValue[3])
        }
    }
}
