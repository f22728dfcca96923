import Foundation
import Testing

import Runtime

/// Paths and readers for the committed fixtures under `Tests/Fixtures`.
enum TokenizerFixtures {
    /// `Tests/Fixtures`, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A model folder under `Tests/Fixtures/models`.
    static func model(_ name: String) -> URL {
        root.appendingPathComponent("models").appendingPathComponent(name)
    }

    /// The all-MiniLM-L6-v2 folder: `$ZOO_MINILM`, else `~/.cache/zoo/models/all-MiniLM-L6-v2`;
    /// nil when it has no tokenizer.json (run `bash scripts/fetch_minilm.sh`).
    static var miniLM: URL? {
        let path = ProcessInfo.processInfo.environment["ZOO_MINILM"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/zoo/models/all-MiniLM-L6-v2").path
        let url = URL(fileURLWithPath: path)
        let exists = FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
        return exists ? url : nil
    }

    /// The all-mpnet-base-v2 folder: `$ZOO_MPNET`, else `~/.cache/zoo/models/all-mpnet-base-v2`;
    /// nil when it has no tokenizer.json (run `bash scripts/fetch_mpnet.sh`).
    static var mpnet: URL? {
        let path = ProcessInfo.processInfo.environment["ZOO_MPNET"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/zoo/models/all-mpnet-base-v2").path
        let url = URL(fileURLWithPath: path)
        let exists = FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
        return exists ? url : nil
    }

    /// The test sentences of `sentences.txt`, escapes decoded.
    static func sentences() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("sentences.txt"), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return try lines.map(unescape)
    }

    /// Decodes the escapes of sentences.txt: `\\`, `\t`, `\n`, `\r` and `\uXXXX`.
    static func unescape(_ line: String) throws -> String {
        var scalars = String.UnicodeScalarView()
        var iterator = line.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\\" else {
                scalars.append(scalar)
                continue
            }
            switch iterator.next() {
            case "\\": scalars.append("\\")
            case "t": scalars.append("\t")
            case "n": scalars.append("\n")
            case "r": scalars.append("\r")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let digit = iterator.next() { hex.unicodeScalars.append(digit) } }
                let value = try #require(UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init))
                scalars.append(value)
            default:
                Issue.record("unknown escape in \(line)")
            }
        }
        return String(scalars)
    }

    /// `reference/<model>/ids.json`.
    struct ReferenceIds: Decodable {
        struct Sentence: Decodable {
            let index: Int
            let text: String
            let input_ids: [Int32]
            let attention_mask: [Int32]
            let input_ids_untruncated: [Int32]
            let truncated: Bool
        }

        let model: String
        let max_seq_length: Int
        let vocab_size: Int
        let sentences: [Sentence]
    }

    /// The reference ids of `model`.
    static func referenceIds(_ model: String) throws -> ReferenceIds {
        let url = root.appendingPathComponent("reference").appendingPathComponent(model)
            .appendingPathComponent("ids.json")
        return try JSONDecoder().decode(ReferenceIds.self, from: Data(contentsOf: url))
    }

    /// A new empty folder in the temporary directory.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zoo-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A temporary folder holding copies of `files` from `source`.
    static func folder(copying files: [String], from source: URL) throws -> URL {
        let folder = try temporaryFolder()
        for file in files {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        return folder
    }

    /// A temporary folder holding `files` (name to content).
    static func folder(with files: [String: String]) throws -> URL {
        let folder = try temporaryFolder()
        for (name, content) in files {
            try Data(content.utf8).write(to: folder.appendingPathComponent(name))
        }
        return folder
    }
}

extension TokenizerFixtures {
    /// A temporary folder holding `source`'s tokenizer.json changed by `edit`, and nothing else.
    static func editedTokenizerJSON(
        from source: URL, _ edit: (inout [String: Any]) throws -> Void
    ) throws -> URL {
        let data = try Data(contentsOf: source.appendingPathComponent("tokenizer.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        try edit(&json)
        let folder = try temporaryFolder()
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("tokenizer.json"))
        return folder
    }
}
