/// Carries a value that is not `Sendable` (a pointer, a closure, buffers) into work that other
/// threads run, for the one case Runtime needs: the work finishes before the value's owner
/// does, and the threads' accesses through it do not overlap (each writes its own rows or its
/// own slot). The caller vouches for both; this type only says so in one place.
package struct UnsafeSendableBox<Value>: @unchecked Sendable {
    /// The carried value.
    package let value: Value

    /// Boxes `value`.
    package init(_ value: Value) { self.value = value }
}
