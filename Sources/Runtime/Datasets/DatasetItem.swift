/// One sample of a dataset.
public struct DatasetItem: Sendable {
    /// The position in the dataset's stable order: 0, 1, 2… (skipped samples take no index).
    public var index: Int
    /// A stable identifier, unique within the dataset (format-specific, see ``DatasetReaders``).
    public var id: String
    /// The image.
    public var image: ImagePayload
    /// The captions, possibly none.
    public var captions: [String]
    /// The class index, if the sample has one.
    public var label: Int?

    /// Creates an item.
    public init(index: Int, id: String, image: ImagePayload, captions: [String] = [], label: Int? = nil) {
        self.index = index
        self.id = id
        self.image = image
        self.captions = captions
        self.label = label
    }
}
