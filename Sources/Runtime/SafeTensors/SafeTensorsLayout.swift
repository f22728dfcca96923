/// The validated header of a safetensors file: every tensor's place in the data buffer.
///
/// ``validate(_:file:)`` checks everything the format requires before any tensor data is read.
struct SafeTensorsLayout: Sendable {
    /// The largest header the format allows, in bytes.
    static let maximumHeaderLength: UInt64 = 100_000_000
    /// The header key that holds string metadata rather than a tensor.
    static let metadataKey = "__metadata__"

    /// The tensors, ordered by their position in the data buffer.
    let tensors: [TensorInfo]
    /// Index into `tensors` for each name.
    let indexByName: [String: Int]
    /// The `__metadata__` map, or empty.
    let metadata: [String: String]
    /// Where the data buffer starts in the file: 8 + header length.
    let dataStart: Int

    /// Validates the whole framing and header of a safetensors file held in `buffer`.
    static func validate(
        _ buffer: UnsafeRawBufferPointer, file: String
    ) throws(SafeTensorsError) -> SafeTensorsLayout {
        guard buffer.count >= 8 else { throw .fileTooShort(file: file, size: buffer.count) }
        let headerLength = UInt64(littleEndian: buffer.loadUnaligned(as: UInt64.self))
        guard headerLength <= maximumHeaderLength else {
            throw .headerTooLarge(file: file, length: headerLength)
        }
        let dataStart = 8 + Int(headerLength)
        guard dataStart <= buffer.count else {
            throw .headerBeyondFile(file: file, length: headerLength, fileSize: buffer.count)
        }
        let headerBytes = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[8..<dataStart]))
        if let badOffset = firstInvalidUTF8Offset(headerBytes) {
            throw .headerNotUTF8(file: file, offset: badOffset)
        }
        let json: StrictJSON
        do {
            json = try StrictJSONParser.parse(headerBytes, maximumDepth: 64)
        } catch {
            throw .headerNotJSON(file: file, reason: error.description)
        }
        guard case .object(let members) = json else { throw .headerNotObject(file: file) }

        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var entries: [TensorInfo] = []
        for (key, value) in members {
            guard seen.insert(key).inserted else {
                throw .duplicateTensorName(file: file, tensor: key)
            }
            if key == metadataKey {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries.append(try parseEntry(value, name: key, file: file))
            }
        }
        let ordered = try checkPlacement(entries, dataSize: buffer.count - dataStart, file: file)
        var indexByName: [String: Int] = [:]
        for (index, tensor) in ordered.enumerated() {
            indexByName[tensor.name] = index
        }
        return SafeTensorsLayout(
            tensors: ordered, indexByName: indexByName, metadata: metadata, dataStart: dataStart)
    }

    /// Returns the offset of the first byte that starts an invalid UTF-8 sequence, or nil.
    private static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }

    private static func parseMetadata(
        _ value: StrictJSON, file: String
    ) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let members) = value else { throw .metadataNotObject(file: file) }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw .metadataValueNotString(file: file, key: key)
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw .duplicateMetadataKey(file: file, key: key)
            }
        }
        return metadata
    }

    private static func parseEntry(
        _ value: StrictJSON, name: String, file: String
    ) throws(SafeTensorsError) -> TensorInfo {
        guard case .object(let members) = value else {
            throw .entryNotObject(file: file, tensor: name)
        }
        var fields = EntryFields()
        for (key, value) in members {
            let slot: WritableKeyPath<EntryFields, StrictJSON?>
            switch key {
            case "dtype": slot = \.dtype
            case "shape": slot = \.shape
            case "data_offsets": slot = \.offsets
            default: throw .unexpectedField(file: file, tensor: name, field: key)
            }
            guard fields[keyPath: slot] == nil else {
                throw .duplicateField(file: file, tensor: name, field: key)
            }
            fields[keyPath: slot] = value
        }
        guard let dtypeValue = fields.dtype else {
            throw .missingField(file: file, tensor: name, field: "dtype")
        }
        guard let shapeValue = fields.shape else {
            throw .missingField(file: file, tensor: name, field: "shape")
        }
        guard let offsetsValue = fields.offsets else {
            throw .missingField(file: file, tensor: name, field: "data_offsets")
        }

        guard case .string(let dtypeName) = dtypeValue else {
            throw .dtypeNotString(file: file, tensor: name)
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        let shape = try parseShape(shapeValue, name: name, file: file)
        let (begin, end) = try parseOffsets(offsetsValue, name: name, file: file)

        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .elementCountOverflow(file: file, tensor: name) }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .elementCountOverflow(file: file, tensor: name) }
        guard end - begin == byteCount else {
            throw .byteSpanMismatch(file: file, tensor: name, expected: byteCount, actual: end - begin)
        }
        return TensorInfo(
            name: name, dtype: dtype, shape: shape, elementCount: elementCount,
            byteRange: begin..<end)
    }

    private static func parseShape(
        _ value: StrictJSON, name: String, file: String
    ) throws(SafeTensorsError) -> [Int] {
        guard case .array(let elements) = value else {
            throw .shapeNotIntegerArray(file: file, tensor: name)
        }
        var shape: [Int] = []
        shape.reserveCapacity(elements.count)
        for (axis, element) in elements.enumerated() {
            guard case .number(let number) = element, number.isInteger else {
                throw .shapeNotIntegerArray(file: file, tensor: name)
            }
            if number.isNegative && number.magnitude != 0 {
                throw .negativeDimension(file: file, tensor: name, axis: axis)
            }
            guard let dimension = number.nonNegativeInt else {
                throw .elementCountOverflow(file: file, tensor: name)
            }
            shape.append(dimension)
        }
        return shape
    }

    private static func parseOffsets(
        _ value: StrictJSON, name: String, file: String
    ) throws(SafeTensorsError) -> (begin: Int, end: Int) {
        guard case .array(let elements) = value, elements.count == 2,
              case .number(let first) = elements[0], let begin = first.nonNegativeInt,
              case .number(let second) = elements[1], let end = second.nonNegativeInt
        else { throw .invalidDataOffsets(file: file, tensor: name) }
        guard begin <= end else {
            throw .dataOffsetsReversed(file: file, tensor: name, begin: begin, end: end)
        }
        return (begin, end)
    }

    /// Orders tensors by offset and checks they tile the data buffer exactly: starting at 0,
    /// without gaps or overlaps, and ending at its last byte.
    private static func checkPlacement(
        _ entries: [TensorInfo], dataSize: Int, file: String
    ) throws(SafeTensorsError) -> [TensorInfo] {
        let ordered = entries.enumerated().sorted { left, right in
            let (l, r) = (left.element.byteRange, right.element.byteRange)
            if l.lowerBound != r.lowerBound { return l.lowerBound < r.lowerBound }
            if l.upperBound != r.upperBound { return l.upperBound < r.upperBound }
            return left.offset < right.offset
        }.map(\.element)

        var expectedBegin = 0
        var previous: TensorInfo?
        for tensor in ordered {
            let begin = tensor.byteRange.lowerBound
            if begin < expectedBegin, let previous {
                throw .overlappingTensors(file: file, tensor: tensor.name, other: previous.name)
            }
            if begin > expectedBegin {
                if previous == nil {
                    throw .dataNotStartingAtZero(file: file, tensor: tensor.name, begin: begin)
                }
                throw .gapBeforeTensor(
                    file: file, tensor: tensor.name, expectedBegin: expectedBegin, begin: begin)
            }
            if tensor.byteRange.upperBound > dataSize {
                throw .tensorBeyondData(
                    file: file, tensor: tensor.name, end: tensor.byteRange.upperBound,
                    dataSize: dataSize)
            }
            expectedBegin = tensor.byteRange.upperBound
            previous = tensor
        }
        guard expectedBegin == dataSize else {
            throw .trailingBytes(file: file, count: dataSize - expectedBegin)
        }
        return ordered
    }
}

/// The three fields of a tensor entry, collected while scanning its members.
private struct EntryFields {
    var dtype: StrictJSON?
    var shape: StrictJSON?
    var offsets: StrictJSON?
}
