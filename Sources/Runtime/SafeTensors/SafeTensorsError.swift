import Foundation
/// Why a safetensors file could not be opened, or why a tensor could not be read from it.
///
/// Every case names the file (its path, or the name given for in-memory bytes) and, where the
/// problem belongs to one tensor, that tensor.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or inspected.
    case cannotOpen(file: String, reason: String)
    /// The file could not be memory-mapped.
    case cannotMap(file: String, reason: String)
    /// The file is shorter than the 8-byte header length prefix.
    case fileTooShort(file: String, size: Int)
    /// The declared header length exceeds the format's 100,000,000-byte limit.
    case headerTooLarge(file: String, length: UInt64)
    /// The declared header length runs past the end of the file.
    case headerBeyondFile(file: String, length: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8; `offset` is the first bad byte within the header.
    case headerNotUTF8(file: String, offset: Int)
    /// The header is not valid JSON.
    case headerNotJSON(file: String, reason: String)
    /// The header is valid JSON but not a JSON object.
    case headerNotObject(file: String)
    /// The header names the same tensor (top-level key) more than once.
    case duplicateTensorName(file: String, tensor: String)
    /// `__metadata__` is present but not a JSON object.
    case metadataNotObject(file: String)
    /// `__metadata__` holds the same key more than once.
    case duplicateMetadataKey(file: String, key: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(file: String, key: String)
    /// A tensor entry is not a JSON object.
    case entryNotObject(file: String, tensor: String)
    /// A tensor entry lacks one of `dtype`, `shape` and `data_offsets`.
    case missingField(file: String, tensor: String, field: String)
    /// A tensor entry has a field other than `dtype`, `shape` and `data_offsets`.
    case unexpectedField(file: String, tensor: String, field: String)
    /// A tensor entry has the same field more than once.
    case duplicateField(file: String, tensor: String, field: String)
    /// A tensor's `dtype` is not a string.
    case dtypeNotString(file: String, tensor: String)
    /// A tensor's `dtype` is a string this reader does not know.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A tensor's `shape` is not an array of integers.
    case shapeNotIntegerArray(file: String, tensor: String)
    /// A tensor's `shape` has a negative dimension at `axis`.
    case negativeDimension(file: String, tensor: String, axis: Int)
    /// A tensor's element count or byte size does not fit in `Int`.
    case elementCountOverflow(file: String, tensor: String)
    /// A tensor's `data_offsets` is not an array of exactly two non-negative integers.
    case invalidDataOffsets(file: String, tensor: String)
    /// A tensor's `data_offsets` begins after it ends.
    case dataOffsetsReversed(file: String, tensor: String, begin: Int, end: Int)
    /// A tensor's byte span (`end - begin`) differs from element count × dtype size.
    case byteSpanMismatch(file: String, tensor: String, expected: Int, actual: Int)
    /// The first tensor in the data buffer does not start at offset 0.
    case dataNotStartingAtZero(file: String, tensor: String, begin: Int)
    /// Unused bytes lie between the previous tensor's end and this tensor's beginning.
    case gapBeforeTensor(file: String, tensor: String, expectedBegin: Int, begin: Int)
    /// Two tensors share bytes of the data buffer.
    case overlappingTensors(file: String, tensor: String, other: String)
    /// A tensor ends past the end of the data buffer.
    case tensorBeyondData(file: String, tensor: String, end: Int, dataSize: Int)
    /// The data buffer holds bytes after the last tensor.
    case trailingBytes(file: String, count: Int)
    /// No tensor with this name exists in the file.
    case missingTensor(name: String, file: String)
    /// The tensor's dtype is not one the requested accessor can read.
    case wrongDType(file: String, tensor: String, dtype: DType, expected: String)
    /// An unsigned 64-bit element does not fit in `Int64`.
    case valueOutOfRange(file: String, tensor: String, index: Int)

    /// The file the error concerns.
    public var file: String {
        switch self {
        case .cannotOpen(let file, _), .cannotMap(let file, _), .fileTooShort(let file, _),
             .headerTooLarge(let file, _), .headerBeyondFile(let file, _, _),
             .headerNotUTF8(let file, _), .headerNotJSON(let file, _), .headerNotObject(let file),
             .duplicateTensorName(let file, _), .metadataNotObject(let file),
             .duplicateMetadataKey(let file, _), .metadataValueNotString(let file, _),
             .entryNotObject(let file, _), .missingField(let file, _, _),
             .unexpectedField(let file, _, _), .duplicateField(let file, _, _),
             .dtypeNotString(let file, _), .unknownDType(let file, _, _),
             .shapeNotIntegerArray(let file, _), .negativeDimension(let file, _, _),
             .elementCountOverflow(let file, _), .invalidDataOffsets(let file, _),
             .dataOffsetsReversed(let file, _, _, _), .byteSpanMismatch(let file, _, _, _),
             .dataNotStartingAtZero(let file, _, _), .gapBeforeTensor(let file, _, _, _),
             .overlappingTensors(let file, _, _), .tensorBeyondData(let file, _, _, _),
             .trailingBytes(let file, _), .missingTensor(_, let file),
             .wrongDType(let file, _, _, _), .valueOutOfRange(let file, _, _):
            return file
        }
    }

    /// The tensor the error concerns, when it concerns one.
    public var tensor: String? {
        switch self {
        case .duplicateTensorName(_, let tensor), .entryNotObject(_, let tensor),
             .missingField(_, let tensor, _), .unexpectedField(_, let tensor, _),
             .duplicateField(_, let tensor, _), .dtypeNotString(_, let tensor),
             .unknownDType(_, let tensor, _), .shapeNotIntegerArray(_, let tensor),
             .negativeDimension(_, let tensor, _), .elementCountOverflow(_, let tensor),
             .invalidDataOffsets(_, let tensor), .dataOffsetsReversed(_, let tensor, _, _),
             .byteSpanMismatch(_, let tensor, _, _), .dataNotStartingAtZero(_, let tensor, _),
             .gapBeforeTensor(_, let tensor, _, _), .overlappingTensors(_, let tensor, _),
             .tensorBeyondData(_, let tensor, _, _), .missingTensor(let tensor, _),
             .wrongDType(_, let tensor, _, _), .valueOutOfRange(_, let tensor, _):
            return tensor
        case .cannotOpen, .cannotMap, .fileTooShort, .headerTooLarge, .headerBeyondFile,
             .headerNotUTF8, .headerNotJSON, .headerNotObject, .metadataNotObject,
             .duplicateMetadataKey, .metadataValueNotString, .trailingBytes:
            return nil
        }
    }

    /// A one-line explanation for people, naming the file and tensor.
    public var description: String {
        "\(file): " + problem
    }

    private var problem: String {
        switch self {
        case .cannotOpen(_, let reason):
            return "cannot open file: \(reason)"
        case .cannotMap(_, let reason):
            return "cannot memory-map file: \(reason)"
        case .fileTooShort(_, let size):
            return "file is \(size) bytes, shorter than the 8-byte header length"
        case .headerTooLarge(_, let length):
            return "header length \(length) exceeds the 100,000,000-byte limit"
        case .headerBeyondFile(_, let length, let fileSize):
            return "header length \(length) runs past the end of the \(fileSize)-byte file"
        case .headerNotUTF8(_, let offset):
            return "header is not valid UTF-8 (bad byte at header offset \(offset))"
        case .headerNotJSON(_, let reason):
            return "header is not valid JSON: \(reason)"
        case .headerNotObject:
            return "header is not a JSON object"
        case .duplicateTensorName(_, let tensor):
            return "duplicate tensor name '\(tensor)' in header"
        case .metadataNotObject:
            return "__metadata__ is not a JSON object"
        case .duplicateMetadataKey(_, let key):
            return "__metadata__ has duplicate key '\(key)'"
        case .metadataValueNotString(_, let key):
            return "__metadata__ value for '\(key)' is not a string"
        case .entryNotObject(_, let tensor):
            return "tensor '\(tensor)': entry is not a JSON object"
        case .missingField(_, let tensor, let field):
            return "tensor '\(tensor)': missing field '\(field)'"
        case .unexpectedField(_, let tensor, let field):
            return "tensor '\(tensor)': unexpected field '\(field)'"
        case .duplicateField(_, let tensor, let field):
            return "tensor '\(tensor)': field '\(field)' appears more than once"
        case .dtypeNotString(_, let tensor):
            return "tensor '\(tensor)': dtype is not a string"
        case .unknownDType(_, let tensor, let dtype):
            return "tensor '\(tensor)': unknown dtype '\(dtype)'"
        case .shapeNotIntegerArray(_, let tensor):
            return "tensor '\(tensor)': shape is not an array of integers"
        case .negativeDimension(_, let tensor, let axis):
            return "tensor '\(tensor)': shape dimension \(axis) is negative"
        case .elementCountOverflow(_, let tensor):
            return "tensor '\(tensor)': element count or byte size overflows"
        case .invalidDataOffsets(_, let tensor):
            return "tensor '\(tensor)': data_offsets is not an array of two non-negative integers"
        case .dataOffsetsReversed(_, let tensor, let begin, let end):
            return "tensor '\(tensor)': data_offsets begin \(begin) is after end \(end)"
        case .byteSpanMismatch(_, let tensor, let expected, let actual):
            return "tensor '\(tensor)': data_offsets span \(actual) bytes but shape and dtype need \(expected)"
        case .dataNotStartingAtZero(_, let tensor, let begin):
            return "tensor '\(tensor)': first tensor starts at byte \(begin), not 0"
        case .gapBeforeTensor(_, let tensor, let expectedBegin, let begin):
            return "tensor '\(tensor)': starts at byte \(begin), leaving a gap after byte \(expectedBegin)"
        case .overlappingTensors(_, let tensor, let other):
            return "tensor '\(tensor)': overlaps tensor '\(other)'"
        case .tensorBeyondData(_, let tensor, let end, let dataSize):
            return "tensor '\(tensor)': ends at byte \(end), past the \(dataSize)-byte data buffer"
        case .trailingBytes(_, let count):
            return "data buffer has \(count) unused trailing bytes"
        case .missingTensor(let name, _):
            return "no tensor named '\(name)'"
        case .wrongDType(_, let tensor, let dtype, let expected):
            return "tensor '\(tensor)': dtype \(dtype.rawValue) cannot be read as \(expected)"
        case .valueOutOfRange(_, let tensor, let index):
            return "tensor '\(tensor)': element \(index) does not fit in Int64"
        }
    }
}

extension SafeTensorsError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch self {
        case .cannotOpen(let file, _): return FileManager.default.fileExists(atPath: file) ? .io : .noInput
        case .cannotMap: return .io
        default: return .data
        }
    }
}
