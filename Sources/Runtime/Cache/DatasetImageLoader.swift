import Foundation

/// A batch of dataset images ready for a vision encoder.
public struct DatasetImageBatch: Sendable {
    /// The ids of the items whose images are in ``pixels``, in order.
    public var ids: [String]
    /// `[ids.count, 3, H, W]`.
    public var pixels: Tensor
    /// Items whose image could not be decoded, skipped because of `skipBad`: id and reason.
    public var failures: [(id: String, error: ImageError)]
    /// Items read from the dataset so far (kept, skipped by the filter, and failed).
    public var itemsSeen: Int
}

/// Reads a dataset on a background thread, decodes and preprocesses the images of the items
/// `include` accepts, and hands out batches through a bounded queue, so the encoder never waits
/// for the CPU work of the next batch unless it is faster than decoding.
///
/// A dataset error ends the sequence with that error. An image that cannot be decoded ends it
/// too, naming the item, unless `skipBad`, where it is reported in ``DatasetImageBatch/failures``.
public final class DatasetImageLoader: Sendable {
    private let buffer: BoundedBuffer<Result<DatasetImageBatch, DatasetLoadError>>

    /// Starts reading.
    ///
    /// - Parameters:
    ///   - iterator: The dataset's items; used only by the background thread from now on.
    ///   - include: Which items to decode (e.g. those of this shard not yet cached).
    public init(
        iterator: any DatasetIterator, preprocessor: ImagePreprocessor, batchSize: Int, skipBad: Bool,
        include: @escaping @Sendable (DatasetItem) -> Bool
    ) {
        precondition(batchSize > 0, "batch size must be positive")
        let buffer = BoundedBuffer<Result<DatasetImageBatch, DatasetLoadError>>(capacity: 2)
        self.buffer = buffer
        let source = IteratorBox(iterator)
        let thread = Thread {
            Self.produce(source: source, preprocessor: preprocessor, batchSize: batchSize, skipBad: skipBad, include: include, into: buffer)
        }
        thread.name = "zoo dataset prefetch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit { buffer.cancel() }

    /// The next batch; nil after the last.
    public func next() throws(DatasetLoadError) -> DatasetImageBatch? {
        guard let result = buffer.take() else { return nil }
        return try result.get()
    }

    /// Stops the background thread.
    public func cancel() { buffer.cancel() }

    private static func produce(
        source: IteratorBox, preprocessor: ImagePreprocessor, batchSize: Int, skipBad: Bool,
        include: @Sendable (DatasetItem) -> Bool, into buffer: BoundedBuffer<Result<DatasetImageBatch, DatasetLoadError>>
    ) {
        defer { buffer.finish() }
        var ids: [String] = []
        var scalars: [Float] = []
        var shape: [Int]?
        var failures: [(id: String, error: ImageError)] = []
        var seen = 0
        func emit() -> Bool {
            guard !ids.isEmpty || !failures.isEmpty else { return !buffer.isCancelled }
            let batch = DatasetImageBatch(
                ids: ids, pixels: Tensor(shape: [ids.count] + (shape ?? [3, 0, 0]), scalars: scalars),
                failures: failures, itemsSeen: seen)
            ids = []
            scalars = []
            failures = []
            return buffer.put(.success(batch))
        }
        while !buffer.isCancelled {
            let item: DatasetItem?
            do { item = try source.iterator.next() } catch {
                guard emit() else { return }
                _ = buffer.put(.failure(.dataset(error)))
                return
            }
            guard let item else { break }
            seen += 1
            guard include(item) else { continue }
            do throws(ImageError) {
                let image: RGBImage
                switch item.image {
                case .file(let url): image = try preprocessor.decoder.decode(contentsOf: url)
                case .encoded(let bytes, let name): image = try preprocessor.decoder.decode(bytes: bytes, name: name)
                case .decoded(let decoded): image = decoded
                }
                let input = preprocessor.modelInput(for: image)
                if let current = shape, current != input.shape {
                    guard emit() else { return }
                }
                shape = input.shape
                ids.append(item.id)
                scalars.append(contentsOf: input.scalars)
                if ids.count == batchSize { guard emit() else { return } }
            } catch {
                if skipBad {
                    failures.append((item.id, error))
                } else {
                    guard emit() else { return }
                    _ = buffer.put(.failure(.image(id: item.id, error: error)))
                    return
                }
            }
        }
        _ = emit()
    }
}

/// Why a ``DatasetImageLoader`` stopped.
public enum DatasetLoadError: Error, Sendable, CustomStringConvertible {
    /// The dataset could not be read.
    case dataset(DatasetError)
    /// An item's image could not be decoded.
    case image(id: String, error: ImageError)

    public var description: String {
        switch self {
        case .dataset(let error): return error.description
        case .image(let id, let error): return "item '\(id)': \(error.description) (pass --skip-bad to skip bad images and count them)"
        }
    }
}

/// Hands a dataset iterator to the one background thread that uses it.
private final class IteratorBox: @unchecked Sendable {
    let iterator: any DatasetIterator
    init(_ iterator: any DatasetIterator) { self.iterator = iterator }
}

extension DatasetLoadError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch self {
        case .dataset(let error): return error.exitStatus
        case .image(_, let error): return error.exitStatus
        }
    }
}
