import Foundation

/// A validated, read-only safetensors file.
///
/// Opening a file memory-maps it and validates the whole header and data layout before any
/// tensor data is touched; a file that opens successfully can be read without further
/// format errors. Tensor data is read with unaligned little-endian loads, so tensors need no
/// particular alignment. Instances are immutable and can be shared across tasks.
///
/// Names are compared as Swift strings, so two header keys that are canonically equivalent
/// Unicode (say, precomposed and decomposed "é") count as the same name and are rejected as
/// duplicates.
public final class SafeTensorsFile: Sendable {
    /// The file's path, or the name given for in-memory bytes; used in error messages.
    public let fileName: String
    /// The `__metadata__` string map, empty when the header has none.
    public let metadata: [String: String]
    /// Every tensor, in the order its data appears in the file.
    public let tensors: [TensorInfo]

    private let storage: SafeTensorsStorage
    private let layout: SafeTensorsLayout

    /// The tensor names, in the order their data appears in the file.
    public var names: [String] { tensors.map(\.name) }

    /// Memory-maps and validates the safetensors file at `url`.
    public convenience init(url: URL) throws(SafeTensorsError) {
        let path = url.path
        try self.init(storage: SafeTensorsStorage(mapping: path), fileName: path)
    }

    /// Validates a safetensors file held in memory, copying its bytes.
    ///
    /// - Parameters:
    ///   - bytes: The whole file, for example `[UInt8]` or `Data`.
    ///   - name: What to call the file in error messages.
    public convenience init(bytes: some Collection<UInt8>, name: String = "<memory>")
        throws(SafeTensorsError)
    {
        try self.init(storage: SafeTensorsStorage(copying: bytes), fileName: name)
    }

    private init(storage: SafeTensorsStorage, fileName: String) throws(SafeTensorsError) {
        self.layout = try SafeTensorsLayout.validate(storage.bytes, file: fileName)
        self.storage = storage
        self.fileName = fileName
        self.metadata = layout.metadata
        self.tensors = layout.tensors
    }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        layout.indexByName[name] != nil
    }

    /// The dtype, shape and byte range of the tensor called `name`.
    ///
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)`` when there is no such tensor.
    public func info(_ name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let index = layout.indexByName[name] else {
            throw .missingTensor(name: name, file: fileName)
        }
        return layout.tensors[index]
    }

    /// Calls `body` with the raw little-endian bytes of the tensor called `name`.
    ///
    /// The buffer is valid only during `body` and must not escape it. It may be unaligned.
    ///
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)``, or whatever `body` throws.
    public func withRawBytes<Result>(
        _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let tensor = try info(name)
        return try withExtendedLifetime(storage) {
            try body(rawBytes(of: tensor))
        }
    }

    /// The elements of a floating-point tensor (F32, F16, BF16 or F64), converted to `Float`.
    ///
    /// F16 and BF16 convert exactly; F64 rounds to the nearest `Float`.
    ///
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)``, or
    ///   ``SafeTensorsError/wrongDType(file:tensor:dtype:expected:)`` for other dtypes.
    public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
        let tensor = try info(name)
        guard tensor.dtype.isConvertibleToFloat else {
            throw .wrongDType(file: fileName, tensor: name, dtype: tensor.dtype, expected: "Float")
        }
        return withExtendedLifetime(storage) {
            let raw = rawBytes(of: tensor)
            switch tensor.dtype {
            case .float64:
                return Self.decode(raw, count: tensor.elementCount) { (bits: UInt64) in
                    Float(Double(bitPattern: bits))
                }
            case .float16:
                return Self.decode(raw, count: tensor.elementCount) { (bits: UInt16) in
                    HalfFloat.float(fromFloat16Bits: bits)
                }
            case .bfloat16:
                return Self.decode(raw, count: tensor.elementCount) { (bits: UInt16) in
                    HalfFloat.float(fromBFloat16Bits: bits)
                }
            default:
                return Self.decode(raw, count: tensor.elementCount) { (bits: UInt32) in
                    Float(bitPattern: bits)
                }
            }
        }
    }

    /// The elements of an integer tensor (I64, I32, I16, I8, U64, U32, U16 or U8) as `Int64`.
    ///
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)``,
    ///   ``SafeTensorsError/wrongDType(file:tensor:dtype:expected:)`` for other dtypes, or
    ///   ``SafeTensorsError/valueOutOfRange(file:tensor:index:)`` for a U64 element above
    ///   `Int64.max`.
    public func int64s(_ name: String) throws(SafeTensorsError) -> [Int64] {
        let tensor = try info(name)
        guard tensor.dtype.isInteger else {
            throw .wrongDType(file: fileName, tensor: name, dtype: tensor.dtype, expected: "Int64")
        }
        return try withExtendedLifetime(storage) { () throws(SafeTensorsError) -> [Int64] in
            let raw = rawBytes(of: tensor)
            let count = tensor.elementCount
            switch tensor.dtype {
            case .int64:
                return Self.decode(raw, count: count) { (bits: UInt64) in Int64(bitPattern: bits) }
            case .int32:
                return Self.decode(raw, count: count) { (bits: UInt32) in
                    Int64(Int32(bitPattern: bits))
                }
            case .int16:
                return Self.decode(raw, count: count) { (bits: UInt16) in
                    Int64(Int16(bitPattern: bits))
                }
            case .int8:
                return Self.decode(raw, count: count) { (bits: UInt8) in Int64(Int8(bitPattern: bits)) }
            case .uint32:
                return Self.decode(raw, count: count) { (bits: UInt32) in Int64(bits) }
            case .uint16:
                return Self.decode(raw, count: count) { (bits: UInt16) in Int64(bits) }
            case .uint64:
                let values = Self.decode(raw, count: count) { (bits: UInt64) in bits }
                if let index = values.firstIndex(where: { $0 > UInt64(Int64.max) }) {
                    throw .valueOutOfRange(file: fileName, tensor: name, index: index)
                }
                return values.map { Int64($0) }
            default:
                return Self.decode(raw, count: count) { (bits: UInt8) in Int64(bits) }
            }
        }
    }

    /// The raw bytes of a U8 or BOOL tensor, one element per byte.
    ///
    /// - Throws: ``SafeTensorsError/missingTensor(name:file:)``, or
    ///   ``SafeTensorsError/wrongDType(file:tensor:dtype:expected:)`` for other dtypes.
    public func bytes(_ name: String) throws(SafeTensorsError) -> [UInt8] {
        let tensor = try info(name)
        guard tensor.dtype == .uint8 || tensor.dtype == .bool else {
            throw .wrongDType(file: fileName, tensor: name, dtype: tensor.dtype, expected: "UInt8")
        }
        return withExtendedLifetime(storage) { [UInt8](rawBytes(of: tensor)) }
    }

    /// The tensor's bytes inside the storage; only valid while `storage` is alive.
    private func rawBytes(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        let start = layout.dataStart + tensor.byteRange.lowerBound
        let end = layout.dataStart + tensor.byteRange.upperBound
        return UnsafeRawBufferPointer(rebasing: storage.bytes[start..<end])
    }

    /// Reads `count` little-endian values of type `Bits` from possibly unaligned `raw` and
    /// converts each with `convert`. `raw` must hold exactly `count` values.
    private static func decode<Bits: FixedWidthInteger, Element>(
        _ raw: UnsafeRawBufferPointer, count: Int, _ convert: (Bits) -> Element
    ) -> [Element] {
        let stride = MemoryLayout<Bits>.size
        precondition(raw.count == count * stride, "tensor byte span was validated at open")
        var result: [Element] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let bits = raw.loadUnaligned(fromByteOffset: index * stride, as: Bits.self)
            result.append(convert(Bits(littleEndian: bits)))
        }
        return result
    }
}
