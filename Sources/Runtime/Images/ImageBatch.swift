import Foundation

/// An input that could not be turned into model input, and why.
public struct ImageFailure: Sendable, Equatable {
    /// The file.
    public let url: URL
    /// What went wrong.
    public let error: ImageError

    /// Pairs a file with its error.
    public init(url: URL, error: ImageError) {
        self.url = url
        self.error = error
    }
}

/// One batch from an ``ImageBatchLoader``: consecutive good images in input order, stacked.
public struct ImageBatch: Sendable {
    /// The files whose images are in ``pixels``, in order.
    public let urls: [URL]
    /// The model input, `[urls.count, 3, height, width]` (`[0, 3, 0, 0]` for a batch of failures only).
    public let pixels: Tensor
    /// The inputs skipped (with `skipBad`) since the previous batch, in input order. The last batch
    /// may consist only of failures, with no images.
    public let failures: [ImageFailure]

    /// The number of images.
    public var count: Int { urls.count }
}
