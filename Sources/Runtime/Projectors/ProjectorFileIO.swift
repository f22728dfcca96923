import Foundation

/// Shared pieces of the projector weights and training-state files.
enum ProjectorFileIO {
    /// The metadata key holding the architecture JSON.
    static let architectureKey = "architecture"

    /// The little-endian bytes of `values`.
    static func bytes(_ values: [Float]) -> [UInt8] {
        let count = values.count * MemoryLayout<Float>.size
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            values.withUnsafeBufferPointer { source in
                if count > 0 {
                    if UInt32(1).littleEndian == 1 {
                        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source.baseAddress!, byteCount: count)
                    } else {
                        for (index, value) in source.enumerated() {
                            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes in
                                for offset in 0..<4 { buffer[index * 4 + offset] = bytes[offset] }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Adds an F32 tensor to `writer`.
    static func add(_ writer: inout SafeTensorsWriter, _ name: String, _ values: [Float], shape: [Int], file: String) throws(PairProjectorCheckpointError) {
        do {
            try writer.add(name, dtype: .float32, shape: shape, bytes: bytes(values))
        } catch {
            throw .cannotWrite(file: file, reason: error.description)
        }
    }

    /// Opens and validates a safetensors file.
    static func open(_ url: URL) throws(PairProjectorCheckpointError) -> SafeTensorsFile {
        do {
            return try SafeTensorsFile(url: url)
        } catch {
            throw .unreadable(file: url.path, reason: error.description)
        }
    }

    /// The architecture stored in the file's metadata, parsed and validated.
    static func architecture(in file: SafeTensorsFile) throws(PairProjectorCheckpointError) -> ProjectorArchitecture {
        guard let json = file.metadata[architectureKey] else { throw .missingArchitecture(file: file.fileName) }
        do {
            return try ProjectorArchitecture(json: json)
        } catch {
            throw .invalidArchitecture(file: file.fileName, reason: error.description)
        }
    }

    /// The values of the F32 tensor `name`, which must have shape `shape`.
    static func floats(_ file: SafeTensorsFile, _ name: String, shape: [Int]) throws(PairProjectorCheckpointError) -> [Float] {
        guard file.contains(name), let info = try? file.info(name) else { throw .missingTensor(file: file.fileName, tensor: name) }
        guard info.dtype == .float32 else { throw .wrongDType(file: file.fileName, tensor: name, dtype: info.dtype.rawValue, expected: "F32") }
        guard info.shape == shape else { throw .wrongShape(file: file.fileName, tensor: name, expected: shape, actual: info.shape) }
        do {
            return try file.floats(name)
        } catch {
            throw .unreadable(file: file.fileName, reason: error.description)
        }
    }

    /// Writes `writer` atomically, mapping its error.
    static func write(_ writer: SafeTensorsWriter, to url: URL) throws(PairProjectorCheckpointError) {
        do {
            try writer.write(to: url)
        } catch {
            throw .cannotWrite(file: url.path, reason: error.description)
        }
    }

    /// The serialised bytes of `writer`, mapping its error.
    static func serialized(_ writer: SafeTensorsWriter, file: String) throws(PairProjectorCheckpointError) -> [UInt8] {
        do {
            return try writer.serialized()
        } catch {
            throw .cannotWrite(file: file, reason: error.description)
        }
    }
}
