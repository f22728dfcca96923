/// Why ``SafeTensorsWriter`` refused a tensor or could not write a file.
public enum SafeTensorsWriterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `__metadata__` is reserved for the metadata map and cannot name a tensor.
    case reservedName(String)
    /// A tensor with this name was already added.
    case duplicateTensorName(String)
    /// The shape has a negative dimension at `axis`.
    case negativeDimension(tensor: String, axis: Int)
    /// The shape's element count or byte size does not fit in `Int`.
    case elementCountOverflow(tensor: String)
    /// The bytes given do not match element count × dtype size.
    case byteCountMismatch(tensor: String, expected: Int, actual: Int)
    /// The header would exceed the format's 100,000,000-byte limit.
    case headerTooLarge(length: Int)
    /// Writing or renaming the file failed.
    case cannotWrite(file: String, reason: String)

    /// A one-line explanation for people.
    public var description: String {
        switch self {
        case .reservedName(let name):
            return "'\(name)' is reserved and cannot name a tensor"
        case .duplicateTensorName(let name):
            return "tensor '\(name)' was added twice"
        case .negativeDimension(let tensor, let axis):
            return "tensor '\(tensor)': shape dimension \(axis) is negative"
        case .elementCountOverflow(let tensor):
            return "tensor '\(tensor)': element count or byte size overflows"
        case .byteCountMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)': got \(actual) bytes but shape and dtype need \(expected)"
        case .headerTooLarge(let length):
            return "header of \(length) bytes exceeds the 100,000,000-byte limit"
        case .cannotWrite(let file, let reason):
            return "\(file): cannot write file: \(reason)"
        }
    }
}

extension SafeTensorsWriterError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        if case .cannotWrite = self { return .io }
        return .data
    }
}
