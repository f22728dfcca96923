import Foundation
import Runtime

/// A sentence encoder run in Swift: tokenizer, transformer, pooling, optional Normalize.
public struct NativeSentenceEncoder: TextEncoder {
    /// The Hugging Face-compatible tokenizer.
    public let tokenizer: any TextTokenizer
    /// The transformer with its pooling.
    public let model: SentenceEncoderModel
    /// Fewest sequences per thread for a batch to be split over the threads.
    static let sequencesPerThread = 8

    /// Loads the sentence-transformers folder at `folder` with the built-in text architecture
    /// that reads its `model_type`.
    public init(folder: URL) throws(ModelLoadError) {
        try self.init(folder: folder, architecture: BuiltinBackends.textArchitecture(folder: folder))
    }

    /// Loads the sentence-transformers folder at `folder` as `architecture`, after checking that
    /// config.json's `model_type` is one the architecture reads.
    ///
    /// - Throws: ``ModelLoadError`` naming the file, key or tensor at fault.
    public init(folder: URL, architecture: any TextArchitecture) throws(ModelLoadError) {
        let configURL = folder.appendingPathComponent("config.json")
        let modelType = HuggingFaceModelType.read(folder: folder) ?? "bert"
        guard architecture.modelTypes.contains(modelType) else {
            throw .unsupportedModelType(file: configURL.path, modelType: modelType, supported: architecture.modelTypes)
        }
        model = try SentenceEncoderModel(folder: folder, architecture: architecture)
        let positions = model.transformer.maxSequenceLength
        var loaded: any TextTokenizer
        do { loaded = try TokenizerLoader.load(folder: folder) } catch { throw .tokenizer(error) }
        if loaded.maxLength > positions {
            do { loaded = try TokenizerLoader.load(folder: folder, maxLength: positions) } catch { throw .tokenizer(error) }
        }
        if loaded.vocabularySize > model.transformer.config.vocabularySize {
            throw .tokenizerMismatch(
                folder: folder.path,
                reason: "the tokenizer has \(loaded.vocabularySize) ids but the model's vocab_size is \(model.transformer.config.vocabularySize)")
        }
        tokenizer = loaded
    }

    public var width: Int { model.width }
    public var maxLength: Int { tokenizer.maxLength }

    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Encodes `ids`. With several threads and a batch of at least ``sequencesPerThread`` (8) per thread,
    /// the batch is split by token count and each share runs on its own thread
    /// (``DataParallel``); otherwise one pass runs on this thread.
    public func encode(ids: [[Int32]]) throws -> TextEncoding {
        try splitting(ids, join: TextEncoding.concatenated) { try model.encode(ids: $0) }
    }

    /// The pooled embeddings of `ids`, split over threads as ``encode(ids:)`` is, without
    /// padding and joining token states.
    public func pooledEmbeddings(ids: [[Int32]]) throws -> Tensor {
        try splitting(ids, join: { Tensor.stackingRows($0, rows: ids.count, width: model.width) }) {
            try model.pooledEmbeddings(ids: $0)
        }
    }

    /// The pooled embeddings of `ids`, `batchSize` sequences at a time, equal to
    /// ``pooledEmbeddings(ids:)`` on each batch in turn. With several threads every batch is
    /// split by token count as that call splits it, and all the shares go into one queue: a
    /// thread that finishes its share of one batch starts on the next one instead of waiting at
    /// each batch's end for the other threads (0.4–1.2% of the time of `zoo bench encode` on
    /// MiniLM, batch 64, two threads). A batch too small to split is one share, run on one thread.
    public func pooledEmbeddings(ids: [[Int32]], batchSize: Int) throws -> Tensor {
        let threads = ComputeThreads.count
        let size = max(1, batchSize)
        let batches = stride(from: 0, to: ids.count, by: size).map { $0..<min($0 + size, ids.count) }
        guard threads > 1, batches.count > 1, !ComputeThreads.isInsideParallelRegion else {
            let parts = try batches.map { try pooledEmbeddings(ids: Array(ids[$0])) }
            return Tensor.stackingRows(parts, rows: ids.count, width: model.width)
        }
        let shares = batches.flatMap { batch -> [Range<Int>] in
            guard batch.count >= Self.sequencesPerThread * threads else { return [batch] }
            return DataParallel.split(lengths: ids[batch].map(\.count), parts: threads).map {
                (batch.lowerBound + $0.lowerBound)..<(batch.lowerBound + $0.upperBound)
            }
        }
        var results = [Result<Tensor, TextEncoderError>?](repeating: nil, count: shares.count)
        results.withUnsafeMutableBufferPointer { slots in
            ComputeThreads.withSingleThreadedBLAS {
                ParallelRows.run(workers: shares.count) { share in
                    slots[share] = Result { () throws(TextEncoderError) in
                        try model.pooledEmbeddings(ids: Array(ids[shares[share]]))
                    }
                }
            }
        }
        return Tensor.stackingRows(try results.map { try $0!.get() }, rows: ids.count, width: model.width)
    }

    /// Runs `body` on all of `ids`, or on shares of it on ``DataParallel`` threads joined by `join`.
    private func splitting<Part>(
        _ ids: [[Int32]], join: ([Part]) -> Part, _ body: ([[Int32]]) throws -> Part
    ) throws -> Part {
        let threads = ComputeThreads.count
        guard threads > 1, ids.count >= Self.sequencesPerThread * threads, !ComputeThreads.isInsideParallelRegion else {
            return try body(ids)
        }
        return join(try DataParallel.map(lengths: ids.map(\.count), parts: threads) { try body(Array(ids[$0])) })
    }
}
