import Foundation
import Registry
import Runtime

/// The pixels a vision encoder would see for a list of image files: `zoo preprocess`.
public enum ImagePreprocessing {
    /// The preprocessed images, stacked.
    public struct Result: Sendable {
        /// `[ids.count, 3, H, W]` (`[0, 3, 0, 0]` when no image was kept).
        public let pixels: Tensor
        /// The paths of the images in ``pixels``, in order.
        public let ids: [String]
        /// The paths skipped with `skipBad`, in input order.
        public let skipped: [String]
    }

    /// Decodes and preprocesses `urls`. With `skipBad`, an image that cannot be decoded is passed
    /// to `skipped` and left out; otherwise it stops with ``ZooError/image(_:)``.
    public static func run(
        _ urls: [URL], preprocessor: ImagePreprocessor, skipBad: Bool, skipped: (ImageFailure) -> Void = { _ in }
    ) throws -> Result {
        var scalars: [Float] = []
        var shape: [Int] = [3, 0, 0]
        var ids: [String] = []
        var skippedPaths: [String] = []
        try ImageBatches.each(urls, preprocessor: preprocessor, batch: 16, skipBad: skipBad) { batch in
            for failure in batch.failures {
                skippedPaths.append(failure.url.relativePath)
                skipped(failure)
            }
            guard batch.count > 0 else { return }
            scalars += batch.pixels.scalars
            shape = Array(batch.pixels.shape.dropFirst())
            ids += batch.urls.map(\.relativePath)
        }
        return Result(pixels: Tensor(shape: [ids.count] + shape, scalars: scalars), ids: ids, skipped: skippedPaths)
    }
}
