/// A Hugging Face tokenizer pipeline: added tokens are found in the raw text, the rest is
/// normalized (then searched for normalized added tokens), split into words and tokenized by
/// the model; the post-processor's special tokens go around the result.
final class PipelineTokenizer: TextTokenizer {
    /// The parts of a pipeline, as read from the tokenizer files.
    struct Parts: Sendable {
        var addedTokens: [AddedToken]
        var normalizer: (any TextNormalizer)?
        var preTokenizer: any PreTokenizer
        var model: any TokenModel
        var template: SpecialTokenTemplate
        var padId: Int32
        var maxLength: Int
        /// Truncate by dropping the first tokens instead of the last.
        var truncateLeft = false
    }

    let padId: Int32
    let vocabularySize: Int
    let maxLength: Int
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let normalizer: (any TextNormalizer)?
    private let preTokenizer: any PreTokenizer
    private let model: any TokenModel
    private let template: SpecialTokenTemplate
    private let truncateLeft: Bool

    /// A tokenizer made of `parts`.
    init(_ parts: Parts) {
        let raw = parts.addedTokens.filter { !$0.normalized }
        let normalized = parts.addedTokens.filter(\.normalized)
        rawMatcher = AddedTokenMatcher(tokens: raw, contents: raw.map { Array($0.content.utf8) })
        normalizedMatcher = AddedTokenMatcher(
            tokens: normalized,
            contents: normalized.map { token in
                let bytes = Array(token.content.utf8)
                return parts.normalizer?.normalize(bytes) ?? bytes
            })
        normalizer = parts.normalizer
        preTokenizer = parts.preTokenizer
        model = parts.model
        template = parts.template
        padId = parts.padId
        maxLength = parts.maxLength
        truncateLeft = parts.truncateLeft
        let largestAdded = parts.addedTokens.map { Int($0.id) }.max() ?? -1
        vocabularySize = max(parts.model.vocabularySize, largestAdded + 1, Int(parts.padId) + 1)
    }

    func encode(_ text: String) -> [Int32] {
        let content = contentIds(text)
        let budget = max(0, maxLength - template.count)
        guard content.count > budget else { return template.apply(to: content[...]) }
        let kept = truncateLeft ? content.suffix(budget) : content.prefix(budget)
        return template.apply(to: kept)
    }

    func encodeWithoutTruncation(_ text: String) -> [Int32] {
        template.apply(to: contentIds(text)[...])
    }

    /// Ids of `text` without special tokens.
    func contentIds(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        var text = text
        text.withUTF8 { bytes in
            guard !rawMatcher.isEmpty else {
                normalizeAndTokenize(bytes, into: &ids)
                return
            }
            rawMatcher.split(bytes) { segment in
                switch segment {
                case .token(let id):
                    ids.append(id)
                case .text(let range):
                    normalizeAndTokenize(UnsafeBufferPointer(rebasing: bytes[range]), into: &ids)
                }
            }
        }
        return ids
    }

    private func normalizeAndTokenize(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        guard !text.isEmpty else { return }
        guard let normalizer else {
            splitNormalized(text, into: &ids)
            return
        }
        let normalized = normalizer.normalize(text)
        normalized.withUnsafeBufferPointer { splitNormalized($0, into: &ids) }
    }

    private func splitNormalized(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        guard !normalizedMatcher.isEmpty else {
            tokenizeWords(text, into: &ids)
            return
        }
        normalizedMatcher.split(text) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                tokenizeWords(UnsafeBufferPointer(rebasing: text[range]), into: &ids)
            }
        }
    }

    private func tokenizeWords(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        // Empty pieces are dropped before pre-tokenization, as in `tokenizers` (this matters for
        // a prefix space).
        guard !text.isEmpty else { return }
        preTokenizer.split(text) { word in
            model.tokenize(word, into: &ids)
        }
    }
}
