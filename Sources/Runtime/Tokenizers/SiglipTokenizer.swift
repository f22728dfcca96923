import Foundation

/// transformers' `SiglipTokenizer` on a SentencePiece model file (`spiece.model`), which Google's
/// SigLIP repositories ship instead of a tokenizer.json: the same ids for the same text.
///
/// A text gets `▁` in front (its own `▁` become spaces) and is cut at the special tokens
/// (`</s>`, `<unk>`, the folder's added tokens). Each other piece is canonicalised as SigLIP
/// does (Python's lowercase, ASCII punctuation removed, whitespace runs to one space, ends
/// stripped), then encoded by SentencePiece behind `<unk>`, whose own pieces are dropped (the
/// trick transformers uses so that a leading `▁` survives). A leading lone `▁` before a special
/// token is dropped, and `</s>` closes the text unless it already ends with it; truncation keeps
/// the first `maxLength − 1` ids. SentencePiece runs as its C++ library does: the model file's
/// normalizer (``SentencePieceNormalizer``) and Unigram Viterbi over its normal pieces.
struct SiglipTokenizer: TextTokenizer {
    let normalizer: SentencePieceNormalizer
    let model: UnigramModel
    let pieces: [String]
    let endOfTextId: Int32
    let unknownPiece: String
    /// The special tokens a text is cut at, longest first, with their ids.
    let specialTokens: [(text: [UInt8], id: Int32)]
    let lowercase: Bool
    /// The number of pieces SentencePiece makes of `<unk>` alone: dropped from each encoding.
    private(set) var unknownPrefixLength: Int
    let padId: Int32
    let maxLength: Int
    var vocabularySize: Int { pieces.count }

    /// Loads `spiece.model` in `folder` with its `tokenizer_config.json` (`config`).
    ///
    /// - Throws: ``TokenizerError`` naming the file: a model that is not Unigram, or special
    ///   tokens missing from the vocabulary.
    init(folder: URL, config: TokenizerConfig, maxLength: Int?) throws(TokenizerError) {
        let url = folder.appendingPathComponent("spiece.model")
        let file = try SentencePieceModelFile(url: url)
        guard file.modelType == 1 else {
            throw .unsupportedModel(file: url.path, type: "SentencePiece model_type \(file.modelType) (zoo runs Unigram, 1)")
        }
        guard !file.treatWhitespaceAsSuffix else {
            throw .unsupportedModel(file: url.path, type: "SentencePiece with treat_whitespace_as_suffix")
        }
        let rules = file.charsmap.isEmpty
            ? nil : try PrecompiledNormalizer(charsmap: file.charsmap, file: url.path, field: "normalizer_spec.precompiled_charsmap")
        normalizer = SentencePieceNormalizer(
            rules: rules, addDummyPrefix: file.addDummyPrefix, removeExtraWhitespaces: file.removeExtraWhitespaces,
            escapeWhitespaces: file.escapeWhitespaces)
        pieces = file.pieces.map(\.piece)
        let normalScores = file.pieces.filter { $0.type == .normal }.map { Double($0.score) }
        model = UnigramModel(
            pieces: file.pieces.map { ($0.piece, Double($0.score)) }, unknownId: Int32(file.unknownID),
            byteFallback: file.byteFallback,
            matchable: file.pieces.map { $0.type == .normal || $0.type == .userDefined },
            lowestScore: normalScores.min() ?? 0)
        var ids: [String: Int32] = [:]
        for (id, piece) in pieces.enumerated() where ids[piece] == nil { ids[piece] = Int32(id) }
        func id(_ role: TokenizerConfig.Role, _ fallback: String) throws(TokenizerError) -> (String, Int32) {
            let name = config.specialTokens[role]?.content ?? fallback
            guard let found = ids[name] else { throw .missingSpecialToken(file: url.path, token: name) }
            return (name, found)
        }
        let eos = try id(.end, "</s>")
        let unknown = try id(.unknown, "<unk>")
        let pad = try id(.padding, "</s>")
        endOfTextId = eos.1
        padId = pad.1
        unknownPiece = unknown.0
        var specials: [String: Int32] = [:]
        for (name, value) in [eos, unknown, pad] { specials[name] = value }
        for token in config.addedTokens where !token.content.isEmpty {
            guard let found = ids[token.content] else { continue }
            specials[token.content] = found
        }
        specialTokens = specials.map { (Array($0.key.utf8), $0.value) }.sorted { $0.text.count > $1.text.count }
        lowercase = config.doLowerCase ?? true
        self.maxLength = try MaxLengthResolver.resolve(folder: folder, explicit: maxLength, tokenizerTruncation: nil, config: config)
        unknownPrefixLength = 0
        unknownPrefixLength = sentencePiece(unknown.0).count
    }

    func encode(_ text: String) -> [Int32] {
        var ids = tokens(text)
        if ids.count + 1 > maxLength { ids = Array(ids.prefix(max(0, maxLength - 1))) }
        if ids.last != endOfTextId { ids.append(endOfTextId) }
        return ids
    }

    func encodeWithoutTruncation(_ text: String) -> [Int32] {
        var ids = tokens(text)
        if ids.last != endOfTextId { ids.append(endOfTextId) }
        return ids
    }

    /// The ids of `text` before `</s>` is added.
    private func tokens(_ text: String) -> [Int32] {
        let prepared = Array(("\u{2581}" + text.replacingOccurrences(of: "\u{2581}", with: " ")).utf8)
        // Each id, and whether it is a special token cut from the text (an unknown piece's
        // surface is its text, which never is one).
        var ids: [(id: Int32, special: Bool)] = []
        var start = 0
        var index = 0
        func flush(_ end: Int) {
            guard end > start else { return }
            ids += chunk(String(decoding: prepared[start..<end], as: UTF8.self)).map { ($0, false) }
        }
        while index < prepared.count {
            if let special = specialTokens.first(where: { token in
                token.text.count <= prepared.count - index && token.text.indices.allSatisfy { prepared[index + $0] == token.text[$0] }
            }) {
                flush(index)
                ids.append((special.id, true))
                index += special.text.count
                start = index
            } else {
                index += 1
            }
        }
        flush(prepared.count)
        if ids.count > 1, !ids[0].special, pieces[Int(ids[0].id)] == "\u{2581}", ids[1].special { ids.removeFirst() }
        return ids.map(\.id)
    }

    /// One piece of text between special tokens: canonicalised, encoded behind `<unk>`.
    private func chunk(_ text: String) -> [Int32] {
        let all = sentencePiece(unknownPiece + SiglipCanonicalText.canonical(text, lowercase: lowercase))
        return all.count >= unknownPrefixLength ? Array(all.dropFirst(unknownPrefixLength)) : all
    }

    /// SentencePiece's encoding of `text`.
    private func sentencePiece(_ text: String) -> [Int32] {
        var bytes = Array(text.utf8)
        let normalized = bytes.withUnsafeBufferPointer { normalizer.normalize($0) }
        bytes = normalized
        var ids: [Int32] = []
        bytes.withUnsafeBufferPointer { model.tokenize($0, into: &ids) }
        return ids
    }
}

/// SigLIP's text canonicalisation (`SiglipTokenizer.canonicalize_text`) with Python's string
/// semantics: `str.lower()` (full mappings and the final-sigma rule), the 32 ASCII punctuation
/// characters of `string.punctuation` removed, each run of `str.isspace()` characters replaced by
/// one space, and the ends stripped.
enum SiglipCanonicalText {
    /// What Python's `str.isspace()` accepts.
    static func isPythonSpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    static func isASCIIPunctuation(_ value: UInt32) -> Bool {
        switch value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }

    static func canonical(_ text: String, lowercase: Bool) -> String {
        let scalars = lowercase ? pythonLowercased(Array(text.unicodeScalars)) : Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in scalars where !isASCIIPunctuation(scalar.value) {
            if isPythonSpace(scalar.value) {
                pendingSpace = true
                continue
            }
            if pendingSpace && !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(scalar)
        }
        return String(output)
    }

    /// Python's `str.lower()`: each scalar's full lowercase mapping, and capital sigma as final
    /// sigma after a cased letter that no cased letter follows (case-ignorable scalars skipped).
    static func pythonLowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            guard scalar.value == 0x3A3 else {
                output += scalar.properties.lowercaseMapping.unicodeScalars
                continue
            }
            var before = index - 1
            while before >= 0 && scalars[before].properties.isCaseIgnorable { before -= 1 }
            var final = before >= 0 && scalars[before].properties.isCased
            if final {
                var after = index + 1
                while after < scalars.count && scalars[after].properties.isCaseIgnorable { after += 1 }
                final = after == scalars.count || !scalars[after].properties.isCased
            }
            output.append(final ? "\u{3C2}" : "\u{3C3}")
        }
        return output
    }
}
