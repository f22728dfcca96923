/// An optional field that JSON output writes as `null` when absent; synthesized `Encodable`
/// would leave the key out instead.
@propertyWrapper
public struct NullWhenNil<Value: Encodable & Sendable>: Encodable, Sendable {
    /// The value; nil encodes as `null`.
    public var wrappedValue: Value?

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    /// Encodes the value, or `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue {
            try container.encode(wrappedValue)
        } else {
            try container.encodeNil()
        }
    }
}
