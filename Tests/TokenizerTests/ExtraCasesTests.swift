import Foundation
import Testing

import Runtime

/// Tricky and random strings from `Tests/Fixtures/reference/extra_tokenizer_cases.json` (made
/// by `scripts/make_tokenizer_cases.py` with Hugging Face `tokenizers`), for the fixture
/// tokenizers and variants of them with a patched tokenizer.json.
@Suite("Extra reference cases")
struct ExtraCasesTests {
    private struct Cases: Decodable {
        struct CaseSet: Decodable {
            let name: String
            let folder: String?
            let ids: [[Int32]]
            let ids_untruncated: [[Int32]]
        }

        let max_length: Int
        let texts: [String]
        let sets: [CaseSet]
    }

    private static func loadCases() throws -> Cases {
        let url = TokenizerFixtures.root.appendingPathComponent("reference/extra_tokenizer_cases.json")
        return try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url))
    }

    /// The `patch` list of set `name`: dotted keys and the JSON values to put there.
    private static func patch(of name: String) throws -> [(key: String, value: Any)] {
        let url = TokenizerFixtures.root.appendingPathComponent("reference/extra_tokenizer_cases.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let sets = try #require(root["sets"] as? [[String: Any]])
        let set = try #require(sets.first { $0["name"] as? String == name })
        let patch = try #require(set["patch"] as? [[Any]])
        return try patch.map { entry in
            (try #require(entry.first as? String), entry[1])
        }
    }

    /// Sets `value` at the dotted `key` of `object`.
    private static func set(_ value: Any, at key: [String], in object: inout [String: Any]) {
        guard let first = key.first else { return }
        if key.count == 1 {
            object[first] = value
            return
        }
        var child = object[first] as? [String: Any] ?? [:]
        set(value, at: Array(key.dropFirst()), in: &child)
        object[first] = child
    }

    /// A folder holding only the patched tokenizer.json of `source` (nil: `source` itself).
    private static func folder(for caseSet: Cases.CaseSet, source: URL) throws -> URL {
        let patch = try patch(of: caseSet.name)
        if patch.isEmpty { return source }
        let data = try Data(contentsOf: source.appendingPathComponent("tokenizer.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (key, value) in patch {
            if key == "added_tokens+" {
                json["added_tokens"] = (json["added_tokens"] as? [Any] ?? []) + [value]
            } else {
                set(value, at: key.split(separator: ".").map(String.init), in: &json)
            }
        }
        let folder = try TokenizerFixtures.temporaryFolder()
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("tokenizer.json"))
        return folder
    }

    @Test("Every extra case gives the ids tokenizers gives, truncated and not")
    func extraCases() throws {
        let cases = try Self.loadCases()
        #expect(cases.sets.count >= 10)
        for caseSet in cases.sets {
            let source: URL
            if let folder = caseSet.folder {
                source = TokenizerFixtures.root.appendingPathComponent(folder)
            } else if let miniLM = TokenizerFixtures.miniLM {
                source = miniLM
            } else {
                print("skipping extra cases of \(caseSet.name): MiniLM folder absent (scripts/fetch_minilm.sh)")
                continue
            }
            let folder = try Self.folder(for: caseSet, source: source)
            let tokenizer = try TokenizerLoader.load(folder: folder, maxLength: cases.max_length)
            var failures = 0
            for (index, text) in cases.texts.enumerated() {
                let truncated = tokenizer.encode(text)
                let untruncated = tokenizer.encodeWithoutTruncation(text)
                if truncated != caseSet.ids[index] || untruncated != caseSet.ids_untruncated[index] {
                    failures += 1
                    if failures <= 5 {
                        Issue.record(
                            """
                            \(caseSet.name) text \(index) \(text.debugDescription):
                              got      \(untruncated)
                              expected \(caseSet.ids_untruncated[index])
                            """)
                    }
                }
            }
            #expect(failures == 0, "\(caseSet.name): \(failures) of \(cases.texts.count) texts differ")
        }
    }
}
