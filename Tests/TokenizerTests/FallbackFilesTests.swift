import Foundation
import Testing

import Runtime

/// Without tokenizer.json, the slow-tokenizer files give the same ids.
@Suite("Fallback tokenizer files")
struct FallbackFilesTests {
    /// Checks every fixture sentence against `reference`, truncating at its max_seq_length.
    private func expectSame(_ folder: URL, _ model: String) throws {
        let reference = try TokenizerFixtures.referenceIds(model)
        let tokenizer = try TokenizerLoader.load(folder: folder, maxLength: reference.max_seq_length)
        let sentences = try TokenizerFixtures.sentences()
        for (text, expected) in zip(sentences, reference.sentences) {
            #expect(tokenizer.encode(text) == expected.input_ids, "\(model) sentence \(expected.index)")
            #expect(
                tokenizer.encodeWithoutTruncation(text) == expected.input_ids_untruncated,
                "\(model) sentence \(expected.index) untruncated")
        }
        #expect(tokenizer.vocabularySize == reference.vocab_size)
    }

    @Test("tiny-bert: vocab.txt + tokenizer_config.json give the tokenizer.json ids")
    func wordPieceFallback() throws {
        let folder = try TokenizerFixtures.folder(
            copying: ["vocab.txt", "tokenizer_config.json"], from: TokenizerFixtures.model("tiny-bert"))
        try expectSame(folder, "tiny-bert")
        // model_max_length of tokenizer_config.json, as there is no other length.
        #expect(try TokenizerLoader.load(folder: folder).maxLength == 512)
    }

    @Test("tiny-bert: vocab.txt alone uses BERT's defaults")
    func wordPieceDefaults() throws {
        let folder = try TokenizerFixtures.folder(copying: ["vocab.txt"], from: TokenizerFixtures.model("tiny-bert"))
        try expectSame(folder, "tiny-bert")
    }

    @Test("CR LF line ends in vocab.txt and merges.txt are read like LF")
    func crlfFiles() throws {
        let bert = TokenizerFixtures.model("tiny-bert")
        let bertFolder = try TokenizerFixtures.folder(copying: ["tokenizer_config.json"], from: bert)
        let vocabulary = try String(contentsOf: bert.appendingPathComponent("vocab.txt"), encoding: .utf8)
        try Data(vocabulary.replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .write(to: bertFolder.appendingPathComponent("vocab.txt"))
        try expectSame(bertFolder, "tiny-bert")

        let roberta = TokenizerFixtures.model("tiny-roberta")
        let robertaFolder = try TokenizerFixtures.folder(
            copying: ["vocab.json", "tokenizer_config.json", "special_tokens_map.json"], from: roberta)
        let merges = try String(contentsOf: roberta.appendingPathComponent("merges.txt"), encoding: .utf8)
        try Data(merges.replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .write(to: robertaFolder.appendingPathComponent("merges.txt"))
        try expectSame(robertaFolder, "tiny-roberta")
    }

    @Test("tiny-roberta: vocab.json + merges.txt give the tokenizer.json ids")
    func bytePairFallback() throws {
        let folder = try TokenizerFixtures.folder(
            copying: ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"],
            from: TokenizerFixtures.model("tiny-roberta"))
        try expectSame(folder, "tiny-roberta")
        #expect(try TokenizerLoader.load(folder: folder).padId == 1)
    }

    @Test(
        "all-MiniLM-L6-v2: vocab.txt + tokenizer_config.json give the tokenizer.json ids",
        .enabled(if: TokenizerFixtures.miniLM != nil, "MiniLM folder absent: run scripts/fetch_minilm.sh or set ZOO_MINILM"))
    func miniLMFallback() throws {
        let source = try #require(TokenizerFixtures.miniLM)
        let folder = try TokenizerFixtures.folder(
            copying: ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"], from: source)
        try expectSame(folder, "all-MiniLM-L6-v2")
    }
}
