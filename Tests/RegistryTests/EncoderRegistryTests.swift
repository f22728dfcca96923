import Foundation
import Testing
@testable import Registry

@Suite("Encoder records, aliases and pairs")
struct EncoderRegistryTests {
    @Test("names and aliases resolve case-insensitively to one entry")
    func aliasResolution() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        try zoo.add("all-roberta-large-v1", aliases: ["roberta", "RoBERTa-L"], from: folder.checkpoint("m"))
        for name in ["all-roberta-large-v1", "ALL-RoBERTa-large-v1", "roberta", "roberta-l"] {
            #expect(try zoo.catalog.encoder(named: name).name == "all-roberta-large-v1")
        }
        let entry = try zoo.catalog.encoder(named: "roberta")
        #expect(entry.aliases == ["roberta", "RoBERTa-L"])
        #expect(entry.record.pooledWidth == 32)
        let sizes = try entry.checkpoint.fileList().map(\.bytes)
        #expect(entry.checkpoint.totalBytes == sizes.reduce(0, +))
        #expect(sizes.contains(4096))
    }

    @Test("an unknown name is 66 and suggests the nearest known name")
    func unknownNameSuggests() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        try zoo.add("all-MiniLM-L6-v2", aliases: ["minilm"], from: folder.checkpoint("m"))
        let error = zooError { _ = try zoo.catalog.encoder(named: "minlm") }
        #expect(error?.kind == .noInput)
        #expect(error?.message.contains("Did you mean 'minilm'?") == true)
    }

    @Test("duplicate names and aliases are refused (65) unless --replace")
    func duplicates() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        let a = folder.checkpoint("a", seed: 1)
        let b = folder.checkpoint("b", seed: 2)
        try zoo.add("dinov2-small", aliases: ["dino"], from: a, modality: .vision)
        #expect(zooError { try zoo.add("dinov2-small", from: b) }?.kind == .data)
        #expect(zooError { try zoo.add("DINO", from: b) }?.kind == .data)
        #expect(zooError { try zoo.add("other", aliases: ["dinov2-small"], from: b) }?.kind == .data)
        #expect(zooError { try zoo.add("other", aliases: ["Dino"], from: b) }?.kind == .data)
        #expect(zooError { try zoo.add("bad+name", from: b) }?.kind == .usage)
        // Nothing was added by the refused calls.
        #expect(try zoo.catalog.encoders().map(\.name) == ["dinov2-small"])
        #expect(try zoo.store.entries().digests.count == 1)

        let replaced = try zoo.add("dinov2-small", aliases: ["dino"], from: b, modality: .vision, replace: true)
        #expect(try zoo.catalog.encoders().count == 1)
        #expect(try zoo.catalog.encoder(named: "dino").checkpoint.digest == replaced.checkpoint.digest)
        // The replaced checkpoint was no longer used, so its files are gone.
        #expect(try zoo.store.entries().digests == [replaced.checkpoint.digest])
        #expect(try zoo.verify().ok)
    }

    @Test("glob listing matches names or aliases, and filters by modality")
    func globListing() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        try zoo.add("dinov2-base", from: folder.checkpoint("v1", seed: 1), modality: .vision)
        try zoo.add("dinov2-large", aliases: ["dinov2"], from: folder.checkpoint("v2", seed: 2), modality: .vision)
        try zoo.add("all-roberta-large-v1", aliases: ["roberta"], from: folder.checkpoint("t1", seed: 3))
        try zoo.add("all-MiniLM-L6-v2", aliases: ["minilm"], from: folder.checkpoint("t2", seed: 4))
        #expect(try zoo.catalog.encoders(matching: Glob("*dino*")).map(\.name) == ["dinov2-base", "dinov2-large"])
        #expect(try zoo.catalog.encoders(matching: Glob("*LARGE*")).map(\.name) == ["all-roberta-large-v1", "dinov2-large"])
        #expect(try zoo.catalog.encoders(matching: Glob("rob*")).map(\.name) == ["all-roberta-large-v1"])
        #expect(try zoo.catalog.encoders(matching: Glob("all-?iniLM-*")).map(\.name) == ["all-MiniLM-L6-v2"])
        #expect(try zoo.catalog.encoders(modality: .text).count == 2)
        #expect(try zoo.catalog.encoders(matching: Glob("*large*"), modality: .vision).map(\.name) == ["dinov2-large"])
        #expect(try zoo.catalog.encoders(matching: Glob("clip*")).isEmpty)
    }

    @Test("remove is refused while a projector uses the encoder, --force removes both")
    func removeWithProjectors() throws {
        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        let vision = try zoo.add("dinov2-large", aliases: ["dinov2"], from: folder.checkpoint("v", seed: 1), modality: .vision)
        let text = try zoo.add("all-roberta-large-v1", aliases: ["roberta"], from: folder.checkpoint("t", seed: 2))
        let projectorFolder = try CheckpointFolder(url: folder.checkpoint("p", seed: 3))
        let stored = try zoo.store.withLock(exclusive: false) { try zoo.store.add(projectorFolder, link: false) }
        _ = try zoo.catalog.insertProjector(
            ProjectorRecord(id: nil, visionEncoderId: vision.record.id!, textEncoderId: text.record.id!,
                            architecture: "{}", checkpointDigest: "", trainingConfig: "{}", dataSummary: "test",
                            tag: "v1", createdAt: Date()), stored: stored)
        let refused = zooError { _ = try zoo.removeEncoder(named: "roberta", force: false) }
        #expect(refused?.kind == .data)
        #expect(try zoo.catalog.encoders().count == 2)
        let released = try zoo.removeEncoder(named: "roberta", force: true)
        #expect(Set(released) == [text.checkpoint.digest, stored.digest])
        #expect(try zoo.catalog.encoders().map(\.name) == ["dinov2-large"])
        #expect(zooError { _ = try zoo.catalog.projector(for: PairReference(parsing: "dinov2+roberta")) }?.kind == .noInput)
        #expect(try zoo.verify().ok)
    }

    @Test("pair names parse, and resolve to the tagged or the newest projector")
    func pairResolution() throws {
        #expect(try PairReference(parsing: "dinov2+roberta") == PairReference(parsing: "dinov2+roberta"))
        let tagged = try PairReference(parsing: "dinov2+roberta@v2")
        #expect(tagged.vision == "dinov2" && tagged.text == "roberta" && tagged.tag == "v2")
        for bad in ["dinov2", "+roberta", "dinov2+", "a+b+c", "a+b@", ""] {
            #expect(zooError { _ = try PairReference(parsing: bad) }?.kind == .usage, "\(bad)")
        }

        let folder = TemporaryFolder()
        let zoo = try ModelZoo(home: ZooHome(url: folder.url))
        let vision = try zoo.add("dinov2-large", aliases: ["dinov2"], from: folder.checkpoint("v", seed: 1), modality: .vision)
        let text = try zoo.add("all-roberta-large-v1", aliases: ["roberta"], from: folder.checkpoint("t", seed: 2))
        for (index, tag) in ["v1", "v2", "exp"].enumerated() {
            let stored = try zoo.store.add(try CheckpointFolder(url: folder.checkpoint("p\(index)", seed: 10 + index)), link: false)
            _ = try zoo.catalog.insertProjector(
                ProjectorRecord(id: nil, visionEncoderId: vision.record.id!, textEncoderId: text.record.id!,
                                architecture: "{}", checkpointDigest: "", trainingConfig: "{}", dataSummary: "",
                                tag: tag, createdAt: Date(timeIntervalSince1970: 1_000_000 + Double(index))),
                stored: stored)
        }
        #expect(try zoo.catalog.projector(for: PairReference(parsing: "dinov2+roberta")).tag == "exp")
        #expect(try zoo.catalog.projector(for: PairReference(parsing: "dinov2-large+all-roberta-large-v1@V1")).tag == "v1")
        let missing = zooError { _ = try zoo.catalog.projector(for: PairReference(parsing: "dinov2+roberta@v3")) }
        #expect(missing?.kind == .noInput)
        #expect(missing?.message.contains("Did you mean") == true)
        #expect(zooError { _ = try zoo.catalog.projector(for: PairReference(parsing: "roberta+dinov2")) }?.kind == .usage)
    }

    @Test("nearest-name suggestions")
    func suggestions() {
        #expect(NameSuggester.nearest(to: "robert", in: ["roberta", "dinov2"]) == "roberta")
        #expect(NameSuggester.nearest(to: "dino", in: ["roberta", "dinov2-large"]) == "dinov2-large")
        #expect(NameSuggester.nearest(to: "zzzzzz", in: ["roberta", "dinov2"]) == nil)
        #expect(NameSuggester.editDistance(Array("kitten"), Array("sitting")) == 3)
    }
}
