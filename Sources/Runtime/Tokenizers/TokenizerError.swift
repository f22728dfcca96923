import Foundation
/// Why a tokenizer could not be loaded. Every case names the file concerned (its path) and what
/// is wrong with it.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The folder has no `tokenizer.json` and none of the fallbacks (`vocab.txt`, or `vocab.json`
    /// with `merges.txt`).
    case missingTokenizerFiles(folder: String)
    /// A file exists but could not be read.
    case unreadableFile(file: String, reason: String)
    /// A file is not valid JSON.
    case malformedJSON(file: String, reason: String)
    /// A file is valid JSON (or text) but a field is missing, has the wrong type or an
    /// impossible value.
    case invalidContent(file: String, reason: String)
    /// The tokenization model (for example `Unigram` or `WordLevel`) is not supported.
    case unsupportedModel(file: String, type: String)
    /// The normalizer is not supported.
    case unsupportedNormalizer(file: String, type: String)
    /// The pre-tokenizer is not supported.
    case unsupportedPreTokenizer(file: String, type: String)
    /// The post-processor is not supported.
    case unsupportedPostProcessor(file: String, type: String)
    /// A special token the tokenizer needs (unknown, padding, class, separator) has no id.
    case missingSpecialToken(file: String, token: String)

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case .missingTokenizerFiles(let folder):
            return "\(folder): no tokenizer.json, and no vocab.txt or vocab.json + merges.txt to fall back on"
        case .unreadableFile(let file, let reason):
            return "\(file): cannot be read: \(reason)"
        case .malformedJSON(let file, let reason):
            return "\(file): malformed JSON: \(reason)"
        case .invalidContent(let file, let reason):
            return "\(file): \(reason)"
        case .unsupportedModel(let file, let type):
            return "\(file): unsupported tokenizer model \(type) (supported: WordPiece, byte-level BPE, Unigram)"
        case .unsupportedNormalizer(let file, let type):
            return "\(file): unsupported normalizer \(type)"
        case .unsupportedPreTokenizer(let file, let type):
            return "\(file): unsupported pre-tokenizer \(type)"
        case .unsupportedPostProcessor(let file, let type):
            return "\(file): unsupported post-processor \(type)"
        case .missingSpecialToken(let file, let token):
            return "\(file): special token \(token) is not in the vocabulary"
        }
    }
}

extension TokenizerError: ReportableError {
    /// The exit status of the `zoo` process this error ends.
    public var exitStatus: ExitStatus {
        switch self {
        case .missingTokenizerFiles: return .noInput
        case .unreadableFile(let file, _): return FileManager.default.fileExists(atPath: file) ? .io : .noInput
        default: return .data
        }
    }
}
