/// An opened dataset: its metadata, and fresh iterators over its items.
///
/// Readers are cheap values that hold no file open; every ``makeIterator()`` starts again from
/// the beginning and yields the same items in the same order.
public protocol DatasetReader: Sendable {
    /// The spec the reader was opened with.
    var spec: DatasetSpec { get }
    /// The class names: from the class-names file, the ImageFolder sub-folders (sorted), or `nil`.
    var classNames: [String]? { get }
    /// The caption templates (each contains `{c}`) from the templates file, or `nil`.
    var templates: [String]? { get }
    /// The task the layout suggests: captions → ``DatasetTask/pairs``, labels →
    /// ``DatasetTask/classification``.
    var defaultTask: DatasetTask { get }
    /// A new iterator from the first item; items have indices 0, 1, 2….
    func makeIterator() throws(DatasetError) -> any DatasetIterator
}
