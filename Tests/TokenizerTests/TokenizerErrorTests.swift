import Foundation
import Testing

import Runtime

/// Bad tokenizer folders are rejected with a ``TokenizerError`` that names the file and the
/// problem.
@Suite("Tokenizer errors")
struct TokenizerErrorTests {
    private let bert = TokenizerFixtures.model("tiny-bert")
    private let roberta = TokenizerFixtures.model("tiny-roberta")

    /// Loads `folder` and returns the error it must throw.
    private func loadError(_ folder: URL, sourceLocation: SourceLocation = #_sourceLocation) -> TokenizerError? {
        do {
            _ = try TokenizerLoader.load(folder: folder)
            Issue.record("loading \(folder.path) succeeded", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    private func tokenizerPath(_ folder: URL) -> String {
        folder.appendingPathComponent("tokenizer.json").path
    }

    @Test("A folder without tokenizer files")
    func missingFiles() throws {
        let folder = try TokenizerFixtures.folder(with: ["config.json": "{}"])
        let error = loadError(folder)
        #expect(error == .missingTokenizerFiles(folder: folder.path))
        #expect(error?.description.contains("no tokenizer.json") == true)
        // vocab.json alone is not enough for byte-level BPE.
        let half = try TokenizerFixtures.folder(copying: ["vocab.json"], from: roberta)
        #expect(loadError(half) == .missingTokenizerFiles(folder: half.path))
    }

    @Test("Malformed JSON names the file")
    func malformedJSON() throws {
        let folder = try TokenizerFixtures.folder(with: ["tokenizer.json": "{\"model\": {\"type\": \"WordPiece\",}"])
        guard case .malformedJSON(let file, let reason) = loadError(folder) else {
            Issue.record("expected malformedJSON")
            return
        }
        #expect(file == tokenizerPath(folder))
        #expect(reason.contains("byte"))

        let config = try TokenizerFixtures.folder(copying: ["tokenizer.json"], from: bert)
        try Data("[1, 2".utf8).write(to: config.appendingPathComponent("tokenizer_config.json"))
        guard case .malformedJSON(let configFile, _) = loadError(config) else {
            Issue.record("expected malformedJSON for tokenizer_config.json")
            return
        }
        #expect(configFile == config.appendingPathComponent("tokenizer_config.json").path)

        let truncatedVocabulary = try TokenizerFixtures.folder(with: ["vocab.json": "{\"a\": 1", "merges.txt": ""])
        guard case .malformedJSON(let vocabularyFile, _) = loadError(truncatedVocabulary) else {
            Issue.record("expected malformedJSON for vocab.json")
            return
        }
        #expect(vocabularyFile == truncatedVocabulary.appendingPathComponent("vocab.json").path)
    }

    @Test("Unsupported models are named", arguments: ["WordLevel", "Mystery"])
    func unsupportedModel(type: String) throws {
        let folder = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["model"] = ["type": type, "vocab": [["a", 0.0]], "unk_id": 0] as [String: Any]
        }
        let error = loadError(folder)
        #expect(error == .unsupportedModel(file: tokenizerPath(folder), type: type))
        #expect(error?.description.contains(type) == true)
    }

    @Test("Unsupported normalizers, pre-tokenizers and post-processors are named")
    func unsupportedSteps() throws {
        let normalizer = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "Replace", "pattern": ["Regex": "[0-9]+"], "content": "#"]]]
        }
        guard case .unsupportedNormalizer(let normalizerFile, let normalizerType) = loadError(normalizer) else {
            Issue.record("expected unsupportedNormalizer for a Replace with an expression zoo does not run")
            return
        }
        #expect(normalizerFile == tokenizerPath(normalizer) && normalizerType.contains("Replace") && normalizerType.contains("[0-9]+"))

        let split = try TokenizerFixtures.editedTokenizerJSON(from: roberta) { json in
            json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": "\\d+"], "behavior": "Removed", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]]]
        }
        guard case .unsupportedPreTokenizer(let splitFile, let splitType) = loadError(split) else {
            Issue.record("expected unsupportedPreTokenizer for a Split with an expression zoo does not run")
            return
        }
        #expect(splitFile == tokenizerPath(split) && splitType.contains("Split") && splitType.contains("\\d+"))

        let behavior = try TokenizerFixtures.editedTokenizerJSON(from: roberta) { json in
            json["pre_tokenizer"] = ["type": "Split", "pattern": ["String": " "], "behavior": "MergedWithNext", "invert": false]
        }
        guard case .unsupportedPreTokenizer(_, let behaviorType) = loadError(behavior) else {
            Issue.record("expected unsupportedPreTokenizer for a Split behaviour zoo does not run")
            return
        }
        #expect(behaviorType.contains("MergedWithNext"))

        let byteLevelFirst = try TokenizerFixtures.editedTokenizerJSON(from: roberta) { json in
            json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true], ["type": "WhitespaceSplit"]]]
        }
        #expect(loadError(byteLevelFirst) == .unsupportedPreTokenizer(
            file: tokenizerPath(byteLevelFirst), type: "Sequence with ByteLevel before other pre-tokenizers"))

        let preTokenizer = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"]
        }
        #expect(loadError(preTokenizer) == .unsupportedPreTokenizer(file: tokenizerPath(preTokenizer), type: "Metaspace with prepend_scheme \"first\""))

        let charsmap = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAAAA=="]
        }
        guard case .invalidContent(let file, let reason) = loadError(charsmap) else {
            Issue.record("expected invalidContent for a charsmap that declares no trie")
            return
        }
        #expect(file == tokenizerPath(charsmap) && reason.contains("precompiled_charsmap"))

        let postProcessor = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["post_processor"] = ["type": "Mystery"]
        }
        #expect(loadError(postProcessor) == .unsupportedPostProcessor(file: tokenizerPath(postProcessor), type: "Mystery"))

        let bpeWithoutByteLevel = try TokenizerFixtures.editedTokenizerJSON(from: roberta) { json in
            json["pre_tokenizer"] = ["type": "BertPreTokenizer"]
        }
        guard case .unsupportedModel(_, let type) = loadError(bpeWithoutByteLevel) else {
            Issue.record("expected unsupportedModel")
            return
        }
        #expect(type.contains("BPE"))
    }

    @Test("A special token missing from the vocabulary is named")
    func missingSpecialToken() throws {
        let noUnknown = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            var model = try #require(json["model"] as? [String: Any])
            var vocabulary = try #require(model["vocab"] as? [String: Any])
            vocabulary["[UNK]"] = nil
            model["vocab"] = vocabulary
            json["model"] = model
        }
        #expect(loadError(noUnknown) == .missingSpecialToken(file: tokenizerPath(noUnknown), token: "[UNK]"))

        let badPad = try TokenizerFixtures.folder(copying: ["tokenizer.json"], from: bert)
        try Data("{\"pad_token\": \"<nothing>\"}".utf8).write(to: badPad.appendingPathComponent("tokenizer_config.json"))
        #expect(loadError(badPad) == .missingSpecialToken(file: tokenizerPath(badPad), token: "<nothing>"))

        let noCLS = try TokenizerFixtures.folder(with: ["vocab.txt": "[PAD]\n[UNK]\n[SEP]\nhello\n"])
        #expect(
            loadError(noCLS)
                == .missingSpecialToken(file: noCLS.appendingPathComponent("vocab.txt").path, token: "[CLS]"))
    }

    @Test("Impossible content is reported with the field")
    func invalidContent() throws {
        let noModel = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in json["model"] = nil }
        #expect(loadError(noModel) == .invalidContent(file: tokenizerPath(noModel), reason: "model is missing"))

        let badMerge = try TokenizerFixtures.editedTokenizerJSON(from: roberta) { json in
            var model = try #require(json["model"] as? [String: Any])
            model["merges"] = ["Ġ s", "zz qq"]
            json["model"] = model
        }
        guard case .invalidContent(let file, let reason) = loadError(badMerge) else {
            Issue.record("expected invalidContent")
            return
        }
        #expect(file == tokenizerPath(badMerge))
        #expect(reason.contains("merge 1"))

        let badMergesFile = try TokenizerFixtures.folder(copying: ["vocab.json"], from: roberta)
        try Data("#version: 0.2\nĠ s\nlonely\n".utf8).write(to: badMergesFile.appendingPathComponent("merges.txt"))
        #expect(
            loadError(badMergesFile)
                == .invalidContent(
                    file: badMergesFile.appendingPathComponent("merges.txt").path,
                    reason: "line 3 is not two tokens separated by a space"))

        let wrongType = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["added_tokens"] = [["id": "zero", "content": "[PAD]"]]
        }
        guard case .invalidContent(_, let typeReason) = loadError(wrongType) else {
            Issue.record("expected invalidContent")
            return
        }
        #expect(typeReason.contains("added_tokens[0].id"))
    }
}
