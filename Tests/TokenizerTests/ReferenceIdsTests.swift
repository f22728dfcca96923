import Foundation
import Testing

import Runtime

/// The ids of every fixture sentence equal the ones Hugging Face `tokenizers` gave
/// (`Tests/Fixtures/reference/<model>/ids.json`), truncated and not.
@Suite("Reference ids")
struct ReferenceIdsTests {
    /// Compares every sentence of `reference` with `tokenizer`.
    private func expectSame(_ tokenizer: any TextTokenizer, _ reference: TokenizerFixtures.ReferenceIds) throws {
        let sentences = try TokenizerFixtures.sentences()
        #expect(sentences.count == reference.sentences.count)
        #expect(tokenizer.maxLength == reference.max_seq_length)
        #expect(tokenizer.vocabularySize == reference.vocab_size)
        for (text, expected) in zip(sentences, reference.sentences) {
            #expect(text == expected.text, "sentences.txt line \(expected.index) decodes differently")
            #expect(
                tokenizer.encode(text) == expected.input_ids,
                "\(reference.model) sentence \(expected.index): \(expected.text.debugDescription)")
            #expect(
                tokenizer.encodeWithoutTruncation(text) == expected.input_ids_untruncated,
                "\(reference.model) sentence \(expected.index) untruncated")
            #expect((tokenizer.encode(text).count < tokenizer.encodeWithoutTruncation(text).count) == expected.truncated)
        }
    }

    @Test("tiny-bert: every sentence as tokenizers gives it")
    func tinyBert() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-bert"))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("tiny-bert"))
        #expect(tokenizer.padId == 0)
    }

    @Test("tiny-roberta: every sentence as tokenizers gives it")
    func tinyRoberta() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-roberta"))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("tiny-roberta"))
        #expect(tokenizer.padId == 1)
    }

    @Test(
        "all-MiniLM-L6-v2: every sentence as tokenizers gives it",
        .enabled(if: TokenizerFixtures.miniLM != nil, "MiniLM folder absent: run scripts/fetch_minilm.sh or set ZOO_MINILM"))
    func miniLM() throws {
        let folder = try #require(TokenizerFixtures.miniLM)
        let tokenizer = try TokenizerLoader.load(folder: folder)
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("all-MiniLM-L6-v2"))
        #expect(tokenizer.padId == 0)
    }

    @Test("tiny-mpnet: WordPiece with <s> … </s>, every sentence as tokenizers gives it")
    func tinyMPNet() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-mpnet"))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("tiny-mpnet"))
        #expect(tokenizer.padId == 1)
    }

    @Test(
        "all-mpnet-base-v2: every sentence as tokenizers gives it",
        .enabled(if: TokenizerFixtures.mpnet != nil, "MPNet folder absent: run scripts/fetch_mpnet.sh or set ZOO_MPNET"))
    func mpnet() throws {
        let tokenizer = try TokenizerLoader.load(folder: try #require(TokenizerFixtures.mpnet))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("all-mpnet-base-v2"))
        #expect(tokenizer.padId == 1)
    }

    @Test("tiny-unigram: SentencePiece Unigram (Precompiled nmt_nfkc, Metaspace, byte fallback), every sentence as tokenizers gives it")
    func tinyUnigram() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-unigram"))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("tiny-unigram"))
        #expect(tokenizer.padId == 1)
    }

    @Test("tiny-unigram: many scripts, combining marks, width variants, emoji and whitespace as tokenizers gives them, with and without byte fallback",
          arguments: [("tiny-unigram", "multilingual.json"), ("tiny-unigram-unk", "multilingual-unk.json")])
    func tinyUnigramMultilingual(model: String, file: String) throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model(model))
        let url = TokenizerFixtures.root.appendingPathComponent("reference/tiny-unigram/\(file)")
        let reference = try JSONDecoder().decode(TokenizerFixtures.ReferenceIds.self, from: Data(contentsOf: url))
        #expect(reference.sentences.count >= 20)
        for expected in reference.sentences {
            #expect(tokenizer.encode(expected.text) == expected.input_ids, "\(expected.index): \(expected.text.debugDescription)")
            #expect(tokenizer.encodeWithoutTruncation(expected.text) == expected.input_ids_untruncated, "\(expected.index) untruncated")
        }
    }

    @Test("tiny-xlmr: XLM-RoBERTa's tokenizer (WhitespaceSplit then Metaspace, Unigram without byte fallback), every sentence as sentence-transformers gives it")
    func tinyXLMR() throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-xlmr"))
        try expectSame(tokenizer, try TokenizerFixtures.referenceIds("tiny-xlmr"))
        #expect(tokenizer.padId == 1)
    }

    /// Every text of `model`'s own reference list (ids.json), truncated to `maxLength` and not,
    /// with `padId` as the padding id.
    private func expectSameTexts(_ model: String, maxLength: Int, padId: Int32) throws {
        let tokenizer = try TokenizerLoader.load(folder: TokenizerFixtures.model(model))
        let reference = try TokenizerFixtures.referenceIds(model)
        #expect(tokenizer.maxLength == maxLength && reference.max_seq_length == maxLength)
        #expect(tokenizer.vocabularySize == reference.vocab_size)
        #expect(reference.sentences.count >= 50)
        for expected in reference.sentences {
            #expect(tokenizer.encode(expected.text) == expected.input_ids, "\(expected.index): \(expected.text.debugDescription)")
            #expect(tokenizer.encodeWithoutTruncation(expected.text) == expected.input_ids_untruncated, "\(expected.index) untruncated")
        }
        #expect(tokenizer.padId == padId)
    }

    @Test("tiny-clip: CLIP's BPE (NFC, whitespace runs to one space, lowercase, CLIP's split, byte level, </w> word ends), every text as tokenizers gives it")
    func tinyCLIP() throws {
        // The end-of-text token pads, as CLIPTokenizer's pad_token says.
        try expectSameTexts("tiny-clip", maxLength: 77, padId: 1)
    }

    @Test("tiny-siglip: SiglipTokenizer on spiece.model (SentencePiece's own normalizer and Unigram, SigLIP's canonical text, the <unk> prefix), every text as transformers gives it")
    func tinySigLIP() throws {
        // SigLIP pads with </s>.
        try expectSameTexts("tiny-siglip", maxLength: 16, padId: 1)
    }

    @Test("The empty text gives only the special tokens")
    func emptyText() throws {
        let bert = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-bert"))
        #expect(bert.encode("") == [2, 3])
        #expect(bert.encodeWithoutTruncation("") == [2, 3])
        let roberta = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-roberta"))
        #expect(roberta.encode("") == [0, 2])
    }

    @Test("Truncation keeps the first tokens and the closing special token")
    func truncation() throws {
        let bert = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-bert"), maxLength: 5)
        let full = bert.encodeWithoutTruncation("a man rides a brown horse")
        let short = bert.encode("a man rides a brown horse")
        #expect(short.count == 5)
        #expect(Array(short.prefix(4)) == Array(full.prefix(4)))
        #expect(short.last == 3)
        #expect(bert.maxLength == 5)
        let tiny = try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-roberta"), maxLength: 2)
        #expect(tiny.encode("a man rides a brown horse") == [0, 2])
    }
}
