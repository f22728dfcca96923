import Foundation
/// Builds a safetensors file from tensors added in any order.
///
/// The output matches what Python's `safetensors` writes: the header is compact JSON with
/// `__metadata__` first and tensors sorted by name (UTF-8 byte order), padded with spaces to a
/// multiple of 8 bytes; tensor data follows in the same order, with no gaps.
public struct SafeTensorsWriter: Sendable {
    /// One tensor waiting to be written.
    private struct Entry: Sendable {
        let name: String
        let dtype: DType
        let shape: [Int]
        let bytes: [UInt8]
    }

    /// String metadata stored under `__metadata__`; omitted from the file when empty.
    public var metadata: [String: String]
    private var entries: [String: Entry] = [:]

    /// Creates an empty writer.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names added so far, in the order they will be written.
    public var names: [String] { sortedEntries.map(\.name) }

    /// Adds a tensor from its raw little-endian bytes.
    ///
    /// - Throws: ``SafeTensorsWriterError`` when the name is reserved or already used, the
    ///   shape is negative or overflows, or `bytes` does not hold exactly the shape's elements.
    public mutating func add(
        _ name: String, dtype: DType, shape: [Int], bytes: [UInt8]
    ) throws(SafeTensorsWriterError) {
        guard name != SafeTensorsLayout.metadataKey else { throw .reservedName(name) }
        guard entries[name] == nil else { throw .duplicateTensorName(name) }
        var elementCount = 1
        for (axis, dimension) in shape.enumerated() {
            guard dimension >= 0 else { throw .negativeDimension(tensor: name, axis: axis) }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .elementCountOverflow(tensor: name) }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .elementCountOverflow(tensor: name) }
        guard byteCount == bytes.count else {
            throw .byteCountMismatch(tensor: name, expected: byteCount, actual: bytes.count)
        }
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds an F32 tensor; `shape` defaults to one dimension of `floats.count`.
    public mutating func add(
        _ name: String, floats: [Float], shape: [Int]? = nil
    ) throws(SafeTensorsWriterError) {
        try add(
            name, dtype: .float32, shape: shape ?? [floats.count],
            bytes: Self.littleEndianBytes(floats.map(\.bitPattern)))
    }

    /// Adds an I64 tensor; `shape` defaults to one dimension of `int64s.count`.
    public mutating func add(
        _ name: String, int64s: [Int64], shape: [Int]? = nil
    ) throws(SafeTensorsWriterError) {
        try add(
            name, dtype: .int64, shape: shape ?? [int64s.count],
            bytes: Self.littleEndianBytes(int64s))
    }

    /// Adds a U8 tensor; `shape` defaults to one dimension of `uint8s.count`.
    public mutating func add(
        _ name: String, uint8s: [UInt8], shape: [Int]? = nil
    ) throws(SafeTensorsWriterError) {
        try add(name, dtype: .uint8, shape: shape ?? [uint8s.count], bytes: uint8s)
    }

    /// The complete file as bytes.
    public func serialized() throws(SafeTensorsWriterError) -> [UInt8] {
        let ordered = sortedEntries
        var file = try Self.headerPrefix(for: ordered, metadata: metadata)
        for entry in ordered {
            file.append(contentsOf: entry.bytes)
        }
        return file
    }

    /// Writes the file to `url` durably (``DurableFile``): a reader sees the old file or the
    /// new one, never a mix, and a crash after this returns does not lose it.
    public func write(to url: URL) throws(SafeTensorsWriterError) {
        let ordered = sortedEntries
        let prefix = try Self.headerPrefix(for: ordered, metadata: metadata)
        do {
            let file = try DurableFile(creating: url)
            for bytes in [prefix] + ordered.map(\.bytes) {
                try bytes.withUnsafeBytes { raw in Result { () throws(DurableFileError) in try file.write(raw) } }.get()
            }
            try file.commit()
        } catch {
            throw .cannotWrite(file: url.path, reason: error.reason)
        }
    }

    private var sortedEntries: [Entry] {
        entries.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The 8-byte header length followed by the padded JSON header.
    private static func headerPrefix(
        for ordered: [Entry], metadata: [String: String]
    ) throws(SafeTensorsWriterError) -> [UInt8] {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }
            let key = jsonString(SafeTensorsLayout.metadataKey)
            members.append(key + ":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for entry in ordered {
            let end = offset + entry.bytes.count
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append(
                jsonString(entry.name) + ":{\"dtype\":" + jsonString(entry.dtype.rawValue)
                    + ",\"shape\":[" + shape + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 {
            header.append(UInt8(ascii: " "))
        }
        guard header.count <= Int(SafeTensorsLayout.maximumHeaderLength) else {
            throw .headerTooLarge(length: header.count)
        }
        return littleEndianBytes([UInt64(header.count)]) + header
    }

    /// `text` as a JSON string literal, escaping quotes, backslashes and control characters.
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private static func littleEndianBytes<Value: FixedWidthInteger>(_ values: [Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * MemoryLayout<Value>.size)
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}
