/// Streams images and labels from a pair of IDX files, one image at a time.
final class IDXIterator: DatasetIterator {
    private let images: IDXStream
    private let labels: IDXStream
    private let count: Int
    private let rows: Int
    private let columns: Int
    private let split: String
    private let metadata: ClassMetadata
    private let skipBad: Bool
    private var position = 0
    private var nextIndex = 0
    private var finished = false
    private var log = SkipLog()

    var skippedCount: Int { log.count }
    var skipReasons: [String] { log.reasons }

    init(
        imagesFile: String, labelsFile: String, count: Int, rows: Int, columns: Int, split: String,
        metadata: ClassMetadata, skipBad: Bool
    ) throws(DatasetError) {
        images = try IDXStream(path: imagesFile)
        labels = try IDXStream(path: labelsFile)
        self.count = count
        self.rows = rows
        self.columns = columns
        self.split = split
        self.metadata = metadata
        self.skipBad = skipBad
        _ = try read(images, 16)
        _ = try read(labels, 8)
    }

    func next() throws(DatasetError) -> DatasetItem? {
        guard !finished else { return nil }
        do throws(DatasetError) {
            while position < count {
                let grey = try read(images, rows * columns)
                let label = Int(try read(labels, 1)[0])
                let number = position
                position += 1
                let id = split + "/" + Self.padded(number)
                do throws(DatasetError) {
                    try metadata.check(label: label, place: "\(labels.path): item \(number)")
                } catch  where skipBad {
                    log.record(error)
                    continue
                }
                var pixels = [UInt8](repeating: 0, count: grey.count * 3)
                for (offset, value) in grey.enumerated() {
                    pixels[3 * offset] = value
                    pixels[3 * offset + 1] = value
                    pixels[3 * offset + 2] = value
                }
                let index = nextIndex
                nextIndex += 1
                return DatasetItem(
                    index: index, id: id, image: .decoded(RGBImage(width: columns, height: rows, pixels: pixels)),
                    captions: [], label: label)
            }
            finished = true
            guard nextIndex > 0 else {
                throw DatasetError(.noInput, "\(images.path): no usable images (\(log.count) skipped)")
            }
            return nil
        } catch {
            finished = true
            throw error
        }
    }

    /// Exactly `count` bytes of `stream`; fewer is a data error giving the expected and actual sizes.
    private func read(_ stream: IDXStream, _ count: Int) throws(DatasetError) -> [UInt8] {
        let start = stream.offset
        let bytes = try stream.read(count)
        guard bytes.count == count else {
            let expected = stream === images ? 16 + Int64(self.count) * Int64(rows * columns) : 8 + Int64(self.count)
            throw DatasetError(
                .data, "\(stream.path): truncated: \(start + Int64(bytes.count)) bytes of data, expected \(expected)")
        }
        return bytes
    }

    private static func padded(_ number: Int) -> String {
        let digits = String(number)
        return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
    }
}
