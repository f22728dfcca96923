import Foundation
import Testing

@testable import Runtime

@Suite struct DatasetCommonTests {
    typealias F = DatasetFixtures

    @Test func missingPathIsNoInputForEveryFormat() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for format in DatasetFormat.allCases {
            let path = folder.path + "/nothing-here"
            let error = F.error { _ = try DatasetReaders.open(DatasetSpec(path: path, format: format)) }
            #expect(error?.kind == .noInput, "\(format)")
            #expect(error?.message.contains(path) == true, "\(format)")
        }
        let relative = F.error { _ = try DatasetReaders.open(DatasetSpec(path: "data/x.jsonl", format: .jsonl)) }
        #expect(relative?.kind == .usage)
    }

    @Test func templatesAndClassNamesFiles() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try F.write(F.imageBytes(0), "a/x.jpg", in: folder)
        try F.write("a photo of a {c}.\n\nthe {c}\nno placeholder\n", "bad.txt", in: folder)
        let bad = F.error {
            _ = try DatasetReaders.open(
                DatasetSpec(path: folder.path, format: .imagefolder, templatesFile: folder.path + "/bad.txt"))
        }
        #expect(bad?.kind == .data)
        #expect(bad?.message.hasPrefix(folder.path + "/bad.txt:4: ") == true)
        let missing = F.error {
            _ = try DatasetReaders.open(
                DatasetSpec(path: folder.path, format: .imagefolder, classnamesFile: folder.path + "/none.txt"))
        }
        #expect(missing?.kind == .noInput)
        try F.write([0xEF, 0xBB, 0xBF] + Array(" only \r\n".utf8), "names.txt", in: folder)
        let reader = try DatasetReaders.open(
            DatasetSpec(path: folder.path, format: .imagefolder, classnamesFile: folder.path + "/names.txt"))
        #expect(reader.classNames == ["only"])
    }

    @Test func summaryDigest() throws {
        let folder = try F.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try F.write(
            "{\"image\": \"a.jpg\", \"id\": \"a\"}\n{\"image\": \"b.jpg\", \"id\": \"b\"}\n", "s.jsonl", in: folder)
        let spec = DatasetSpec(path: file.path, format: .jsonl)
        let first = try DatasetSummary.summarize(try DatasetReaders.open(spec))
        let second = try DatasetSummary.summarize(try DatasetReaders.open(spec))
        #expect(first == second)
        #expect(first.count == 2)
        // printf 'a\nb' | sha256sum
        #expect(first.idsDigest == "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78")
        try F.write(
            ["a", "b", "c"].map { "{\"image\": \"\($0).jpg\", \"id\": \"\($0)\"}\n" }.joined(),
            "s.jsonl", in: folder)
        let changed = try DatasetSummary.summarize(try DatasetReaders.open(spec))
        #expect(changed.count == 3)
        #expect(changed.idsDigest != first.idsDigest)
    }

    @Test func labelCaptioner() throws {
        let captioner = try LabelCaptioner(
            classNames: ["cat", "dog"], templates: ["a photo of a {c}.", "a {c} and another {c}", "{c}"])
        #expect(captioner.allCaptions(for: 1) == ["a photo of a dog.", "a dog and another dog", "dog"])
        let first = (0..<50).map { captioner.caption(for: $0 % 2, itemIndex: $0, epoch: 0, seed: 7) }
        let again = (0..<50).map { captioner.caption(for: $0 % 2, itemIndex: $0, epoch: 0, seed: 7) }
        #expect(first == again)
        #expect(Set(first).count > 3)
        let nextEpoch = (0..<50).map { captioner.caption(for: $0 % 2, itemIndex: $0, epoch: 1, seed: 7) }
        let otherSeed = (0..<50).map { captioner.caption(for: $0 % 2, itemIndex: $0, epoch: 0, seed: 8) }
        #expect(nextEpoch != first)
        #expect(otherSeed != first)
        #expect(first.enumerated().allSatisfy { captioner.allCaptions(for: $0.offset % 2).contains($0.element) })
        #expect(
            try LabelCaptioner(classNames: ["x"], templates: nil).caption(for: 0, itemIndex: 3, epoch: 2, seed: 1)
                == "a photo of a x.")
        #expect(F.error { _ = try LabelCaptioner(classNames: ["x"], templates: ["no placeholder"]) }?.kind == .usage)
        #expect(F.error { _ = try LabelCaptioner(classNames: [], templates: nil) }?.kind == .usage)
    }

    @Test("the Fashion-MNIST caption set: 12 templates and 6 own captions per class, none equal to an evaluation prompt")
    func fashionCaptionSet() throws {
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/fashion-mnist")
        func lines(_ name: String) throws -> [String] {
            try String(contentsOf: data.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let classNames = try lines("classnames.txt")
        let training = try LabelCaptioner(classNames: classNames, templates: try lines("caption_templates.txt"))
        let evaluation = try LabelCaptioner(classNames: classNames, templates: try lines("templates.txt"))
        #expect(classNames.count == 10)
        #expect(training.templates.count == 12)
        #expect(training.classCaptions.map(\.count) == Array(repeating: 6, count: 10))
        #expect(evaluation.classCaptions.allSatisfy { $0.isEmpty })
        for label in classNames.indices {
            let shared = Set(training.allCaptions(for: label)).intersection(evaluation.allCaptions(for: label))
            #expect(shared.isEmpty, "\(classNames[label]): \(shared)")
        }
    }

    @Test("class-specific caption lines serve only their class, alongside the templates")
    func labelCaptionerClassLines() throws {
        let lines = ["a photo of a {c}.", "dog: a dog fetching a stick.", " cat : a cat asleep in the sun.",
                     "a pet: the {c}.", "dog: a {c} on a lead."]
        let captioner = try LabelCaptioner(classNames: ["cat", "dog"], templates: lines)
        #expect(captioner.templates == ["a photo of a {c}.", "a pet: the {c}."])
        #expect(captioner.allCaptions(for: 0) == ["a photo of a cat.", "a pet: the cat.", "a cat asleep in the sun."])
        #expect(captioner.allCaptions(for: 1) == ["a photo of a dog.", "a pet: the dog.", "a dog fetching a stick.", "a dog on a lead."])
        let drawn = Set((0..<200).map { captioner.caption(for: 1, itemIndex: $0, epoch: 0, seed: 3) })
        #expect(drawn == Set(captioner.allCaptions(for: 1)))
        #expect(LabelCaptioner.classCaption("Dog: capitalised", classNames: ["dog"]) == nil)
        // Without templates every class needs lines of its own; an empty caption is refused.
        #expect(try LabelCaptioner(classNames: ["cat"], templates: ["cat: a cat."]).allCaptions(for: 0) == ["a cat."])
        #expect(F.error { _ = try LabelCaptioner(classNames: ["cat", "dog"], templates: ["cat: a cat."]) }?.kind == .usage)
        #expect(F.error { _ = try LabelCaptioner(classNames: ["cat"], templates: ["a {c}", "cat:  "]) }?.kind == .usage)
    }

    @Test func specCodable() throws {
        let spec = DatasetSpec(
            path: "/d", format: .wds, split: "test", classnamesFile: "/c", templatesFile: nil, skipBad: true)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(DatasetSpec.self, from: data) == spec)
        let minimal = try JSONDecoder().decode(DatasetSpec.self, from: Data(#"{"path": "/d", "format": "idx"}"#.utf8))
        #expect(minimal == DatasetSpec(path: "/d", format: .idx))
    }
}
