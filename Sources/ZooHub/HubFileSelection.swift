import Foundation

/// One file of a repository at a commit, from the Hub's tree listing.
public struct HubFile: Sendable, Hashable, Codable {
    /// `/`-separated path inside the repository.
    public let path: String
    /// Size in bytes.
    public let size: Int64
    /// The git blob id (sha1 of `blob SIZE\0CONTENT`).
    public let gitOID: String
    /// The sha256 of the content, for files stored with Git LFS.
    public let lfsSHA256: String?

    public init(path: String, size: Int64, gitOID: String, lfsSHA256: String?) {
        self.path = path
        self.size = size
        self.gitOID = gitOID
        self.lfsSHA256 = lfsSHA256
    }

    /// The blob's name in the cache, as the Hub's `ETag` / `X-Linked-Etag` gives it: the LFS
    /// sha256 for LFS files, the git blob id otherwise.
    public var etag: String { lfsSHA256 ?? gitOID }
}

/// Which files of a repository an encoder needs: its config, safetensors weights, tokenizer
/// and preprocessor files, sentence-transformers modules and pooling configs, and the model
/// card (for the licence). Never pickled weights (`.bin`, `.pt`, `.ckpt`, …), ONNX or other
/// frameworks' exports, which zoo does not load.
public enum HubFileSelection {
    /// Files in the repository's root folder that zoo reads.
    static let rootFiles: Set<String> = [
        "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model", "spiece.model",
        "preprocessor_config.json", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
        "README.md",
    ]

    /// Whether `path` belongs in the registered checkpoint: what zoo fetches except the model
    /// card, which is read for its licence only (so a cache that lacks it, as a
    /// `huggingface_hub` download with `allow_patterns` may, gives the same checkpoint).
    public static func registered(_ path: String) -> Bool {
        wanted(path) && path != "README.md"
    }

    /// Whether zoo fetches `path`.
    public static func wanted(_ path: String) -> Bool {
        guard isSafe(path) else { return false }
        let parts = path.split(separator: "/")
        if parts.count == 1 {
            return rootFiles.contains(path) || path.hasSuffix(".safetensors") || path.hasSuffix(".safetensors.index.json")
        }
        // sentence-transformers modules: 1_Pooling/config.json, 2_Dense/config.json + weights.
        if parts.count == 2, let digit = parts[0].first, digit.isASCII, digit.isNumber, parts[0].contains("_") {
            return parts[1] == "config.json" || parts[1].hasSuffix(".safetensors")
        }
        return false
    }

    /// The files to fetch from `listing`.
    ///
    /// - Throws: ``HubError`` 65 when the listing names an unsafe path (``isSafe(_:)``), or the
    ///   repository has no config.json or no safetensors weights (only pickled ones, say).
    public static func select(_ listing: [HubFile], reference: HubReference) throws -> [HubFile] {
        if let unsafe = listing.first(where: { !isSafe($0.path) }) {
            throw HubError(.data, "the Hub's file list of \(reference) names '\(unsafe.path.debugDescription.dropFirst().dropLast())', a path that is absolute, has an empty, '.' or '..' part, a backslash or a control character; refusing the repository (a Hugging Face Hub never lists one: check HF_ENDPOINT)")
        }
        let chosen = listing.filter { wanted($0.path) }
        guard chosen.contains(where: { $0.path == "config.json" }) else {
            throw HubError(.data, "\(reference) has no config.json in its root folder; zoo registers Hugging Face (transformers) model repositories")
        }
        guard chosen.contains(where: { !$0.path.contains("/") && $0.path.hasSuffix(".safetensors") }) else {
            let pickled = listing.filter { [".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack"].contains(where: $0.path.hasSuffix) }.map(\.path)
            let what = pickled.isEmpty ? "" : " (it has \(pickled.prefix(3).joined(separator: ", ")))"
            throw HubError(.data, "\(reference) has no .safetensors weights\(what); zoo never loads pickled weights. Pick a revision with safetensors (the Hub's conversion bot opens one as refs/pr/N) or convert with save_pretrained(..., safe_serialization=True)")
        }
        return chosen
    }

    /// A relative path without empty, `.` or `..` parts, backslashes or control characters.
    public static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), path.utf8.count <= 512 else { return false }
        guard !path.unicodeScalars.contains(where: { $0.value < 32 || $0 == "\\" }) else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
