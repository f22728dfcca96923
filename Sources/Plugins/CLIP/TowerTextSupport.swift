import Foundation
import Runtime

/// What the CLIP and SigLIP text encoders share: the folder's tokenizer held to the tower's
/// positions and vocabulary, and a batch run whole or split over the threads.
enum TowerTextSupport {
    /// Fewest texts per thread for a batch to be split over the threads.
    static let sequencesPerThread = 8

    /// The tokenizer of `folder`, truncating to `maxPositions`; refused when it can give an id
    /// (or, with `padId`, pads with one) outside the tower's `vocabularySize`.
    ///
    /// - Throws: ``ModelLoadError/tokenizer(_:)`` or ``ModelLoadError/tokenizerMismatch(folder:reason:)``.
    static func tokenizer(
        folder: URL, maxPositions: Int, vocabularySize: Int, checkingPad: Bool = false
    ) throws(ModelLoadError) -> any TextTokenizer {
        var loaded: any TextTokenizer
        do { loaded = try TokenizerLoader.load(folder: folder) } catch { throw .tokenizer(error) }
        if loaded.maxLength > maxPositions {
            do { loaded = try TokenizerLoader.load(folder: folder, maxLength: maxPositions) } catch { throw .tokenizer(error) }
        }
        let padOutside = checkingPad && Int(loaded.padId) >= vocabularySize
        if loaded.vocabularySize > vocabularySize || padOutside {
            let padding = checkingPad ? " (padding with \(loaded.padId))" : ""
            throw .tokenizerMismatch(
                folder: folder.path,
                reason: "the tokenizer has \(loaded.vocabularySize) ids\(padding) but the text tower's vocab_size is \(vocabularySize)")
        }
        return loaded
    }

    /// `forward` on all of `ids`, or, with several threads and at least ``sequencesPerThread``
    /// texts per thread, on shares split by token count (``DataParallel``), joined in order.
    static func encode(
        _ ids: [[Int32]], forward: ([[Int32]]) throws -> (states: PackedHiddenStates, pooled: Tensor)
    ) throws -> TextEncoding {
        let threads = ComputeThreads.count
        func run(_ part: [[Int32]]) throws -> TextEncoding {
            let (states, pooled) = try forward(part)
            let (tokens, mask) = states.padded()
            return TextEncoding(tokens: tokens, mask: mask, lengths: states.lengths, pooled: pooled)
        }
        guard threads > 1, ids.count >= sequencesPerThread * threads, !ComputeThreads.isInsideParallelRegion else {
            return try run(ids)
        }
        return TextEncoding.concatenated(
            try DataParallel.map(lengths: ids.map(\.count), parts: threads) { try run(Array(ids[$0])) })
    }
}
