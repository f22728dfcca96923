import Foundation
import Testing

import Runtime

/// The maximum length comes from the explicit argument, then sentence_bert_config.json, then
/// tokenizer.json's truncation, then a sane model_max_length, then 512.
@Suite("Maximum length")
struct MaxLengthTests {
    private let bert = TokenizerFixtures.model("tiny-bert")

    @Test("Each source in order of precedence")
    func precedence() throws {
        let folder = try TokenizerFixtures.editedTokenizerJSON(from: bert) { json in
            json["truncation"] = ["max_length": 100, "strategy": "LongestFirst", "stride": 0, "direction": "Right"]
        }
        #expect(try TokenizerLoader.load(folder: folder).maxLength == 100)
        try Data("{\"model_max_length\": 64}".utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        #expect(try TokenizerLoader.load(folder: folder).maxLength == 100)
        try Data("{\"max_seq_length\": 32, \"do_lower_case\": false}".utf8)
            .write(to: folder.appendingPathComponent("sentence_bert_config.json"))
        #expect(try TokenizerLoader.load(folder: folder).maxLength == 32)
        #expect(try TokenizerLoader.load(folder: folder, maxLength: 7).maxLength == 7)

        let plain = try TokenizerFixtures.folder(copying: ["tokenizer.json"], from: bert)
        #expect(try TokenizerLoader.load(folder: plain).maxLength == 512)
        try Data("{\"model_max_length\": 64}".utf8).write(to: plain.appendingPathComponent("tokenizer_config.json"))
        #expect(try TokenizerLoader.load(folder: plain).maxLength == 64)
        try Data("{\"model_max_length\": 1000000000000000019884624838656}".utf8)
            .write(to: plain.appendingPathComponent("tokenizer_config.json"))
        #expect(try TokenizerLoader.load(folder: plain).maxLength == 512)
    }

    @Test("The fixture models say 128")
    func fixtures() throws {
        #expect(try TokenizerLoader.load(folder: bert).maxLength == 128)
        #expect(try TokenizerLoader.load(folder: TokenizerFixtures.model("tiny-roberta")).maxLength == 128)
    }

    @Test("truncation_side left keeps the last tokens")
    func leftTruncation() throws {
        let folder = try TokenizerFixtures.folder(copying: ["tokenizer.json"], from: bert)
        try Data("{\"truncation_side\": \"left\"}".utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try TokenizerLoader.load(folder: folder, maxLength: 5)
        let full = tokenizer.encodeWithoutTruncation("a man rides a brown horse")
        #expect(tokenizer.encode("a man rides a brown horse") == [full[0]] + full.suffix(4))
    }

    @Test("A length below one is refused")
    func nonPositive() throws {
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load(folder: bert, maxLength: 0) }
    }
}
