import Foundation
import Runtime

/// The built-in text backends (`bert`, `roberta`): a sentence-transformers folder run natively,
/// its Hugging Face tokenizer in front of a BERT or RoBERTa transformer, pooling and Normalize.
struct SentenceTransformerBackend: TextEncoderBackend {
    let id: String
    let modelTypes: [String]
    let summary: String
    var modality: EncoderModality { .text }

    /// Loads the whole encoder, so a folder with a missing or misshapen weight, or a tokenizer
    /// zoo cannot read, is refused at registration, naming the tensor or file.
    func inspect(folder: URL) throws -> CheckpointInspection {
        let encoder = try NativeSentenceEncoder(folder: folder, backend: self)
        return CheckpointInspection(pooledWidth: encoder.width, tokenWidth: encoder.width)
    }

    func loadTextEncoder(folder: URL) throws -> any TextEncoder {
        try NativeSentenceEncoder(folder: folder, backend: self)
    }
}

/// A sentence encoder run in Swift: tokenizer, transformer, pooling, optional Normalize.
public struct NativeSentenceEncoder: TextEncoder {
    /// The Hugging Face-compatible tokenizer.
    public let tokenizer: any TextTokenizer
    /// The transformer with its pooling.
    public let model: SentenceEncoderModel
    /// Fewest sequences per thread for a batch to be split over the threads.
    static let sequencesPerThread = 8

    /// Loads `folder` for `backend`, checking that config.json's model_type is one it reads.
    init(folder: URL, backend: SentenceTransformerBackend) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let config: TransformerConfig
        do { config = try TransformerConfig(contentsOf: configURL) } catch { throw BackendError(error.description) }
        guard backend.modelTypes.contains(config.modelType) else {
            throw BackendError("'\(configURL.path)' has model_type '\(config.modelType)'; backend '\(backend.id)' reads \(backend.modelTypes.joined(separator: ", "))")
        }
        try self.init(folder: folder)
    }

    /// Loads the sentence-transformers folder at `folder`.
    public init(folder: URL) throws {
        do { model = try SentenceEncoderModel(folder: folder) } catch { throw BackendError(error.description) }
        let positions = model.transformer.config.maxPositionEmbeddings
            - (model.transformer.config.modelType == "bert" ? 0 : model.transformer.config.padTokenID + 1)
        var loaded: any TextTokenizer
        do { loaded = try TokenizerLoader.load(folder: folder) } catch { throw BackendError(error.description) }
        if loaded.maxLength > positions {
            do { loaded = try TokenizerLoader.load(folder: folder, maxLength: positions) } catch { throw BackendError(error.description) }
        }
        if loaded.vocabularySize > model.transformer.config.vocabularySize {
            throw BackendError("'\(folder.path)': the tokenizer has \(loaded.vocabularySize) ids but the model's vocab_size is \(model.transformer.config.vocabularySize)")
        }
        tokenizer = loaded
    }

    public var width: Int { model.width }
    public var maxLength: Int { tokenizer.maxLength }

    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Encodes `ids`. With several threads and a batch of at least ``sequencesPerThread`` (8) per thread,
    /// the batch is split by token count and each share runs on its own thread with
    /// single-threaded BLAS (``DataParallel``); otherwise one pass uses multi-threaded BLAS.
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
        var results = [Result<Tensor, any Error>?](repeating: nil, count: shares.count)
        results.withUnsafeMutableBufferPointer { slots in
            ComputeThreads.withSingleThreadedBLAS {
                ParallelRows.run(workers: shares.count) { share in
                    slots[share] = Result { try model.pooledEmbeddings(ids: Array(ids[shares[share]])) }
                }
            }
        }
        do {
            return Tensor.stackingRows(try results.map { try $0!.get() }, rows: ids.count, width: model.width)
        } catch let error as TextEncoderError {
            throw BackendError(error.description)
        }
    }

    /// Runs `body` on all of `ids`, or on shares of it on ``DataParallel`` threads joined by
    /// `join`, turning the model's errors into ``BackendError``.
    private func splitting<Part>(
        _ ids: [[Int32]], join: ([Part]) -> Part, _ body: ([[Int32]]) throws -> Part
    ) throws -> Part {
        let threads = ComputeThreads.count
        do {
            guard threads > 1, ids.count >= Self.sequencesPerThread * threads, !ComputeThreads.isInsideParallelRegion else {
                return try body(ids)
            }
            return join(try DataParallel.map(lengths: ids.map(\.count), parts: threads) { try body(Array(ids[$0])) })
        } catch let error as TextEncoderError {
            throw BackendError(error.description)
        }
    }
}
