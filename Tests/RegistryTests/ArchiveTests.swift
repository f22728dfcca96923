import CArchive
import Foundation
import GRDB
import Testing
@testable import Registry

/// A source home with a projector, and a target home with the same two encoders and no projector.
private final class ArchiveFixture {
    let folder = TemporaryFolder()
    let source: ModelZoo
    let target: ModelZoo
    let entry: ProjectorEntry

    static let architecture = #"{"input":"pooled","kind":"linear","outputWidth":16,"scale":0.07}"#
    static let training = #"{"batch":8,"epochs":2,"lr":0.001,"seed":7,"temperature":0.07}"#
    static let data = #"{"captions":12,"dataset":"fashion-train","items":12}"#
    static let history = #"[{"epoch":1,"loss":2.5,"lr":0.001},{"epoch":2,"loss":1.25,"lr":0.0005}]"#

    init(weightBytes: Int = 256, randomWeights: Bool = false) throws {
        source = try ModelZoo(home: ZooHome(url: folder.url.appendingPathComponent("a")))
        target = try ModelZoo(home: ZooHome(url: folder.url.appendingPathComponent("b")))
        let visionFolder = folder.checkpoint("v", seed: 1, modelType: "dinov2")
        let textFolder = folder.checkpoint("t", seed: 2)
        for zoo in [source, target] {
            try ArchiveFixture.register(zoo, visionFolder: visionFolder, textFolder: textFolder)
        }
        folder.write("p/config.json", ArchiveFixture.architecture)
        var generator = SystemRandomNumberGenerator()
        let weights = randomWeights ? Data((0..<weightBytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
            : Data((0..<weightBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        folder.write("p/projector.safetensors", weights)
        let vision = try source.catalog.encoder(named: "facebook/dino-tiny")
        let text = try source.catalog.encoder(named: "minilm")
        let row = ProjectorRecord(
            visionEncoderId: vision.record.id!, textEncoderId: text.record.id!, architecture: ArchiveFixture.architecture,
            checkpointDigest: "", trainingConfig: ArchiveFixture.training, dataSummary: ArchiveFixture.data, tag: "v1",
            createdAt: Date(), finalLoss: 1.25, history: ArchiveFixture.history)
        _ = try source.addProjector(row, from: CheckpointFolder(url: folder.url.appendingPathComponent("p")))
        entry = try source.catalog.projectorEntry(for: PairReference(parsing: "facebook/dino-tiny+minilm@v1"))
    }

    static func register(_ zoo: ModelZoo, visionFolder: URL, textFolder: URL, visionName: String = "facebook/dino-tiny") throws {
        _ = try zoo.addEncoder(
            NewEncoder(name: visionName, aliases: ["dino"], modality: .vision, backend: "dinov2", pooledWidth: 32,
                       tokenWidth: 32, source: "facebook/dino-tiny", license: "apache-2.0"),
            from: CheckpointFolder(url: visionFolder), link: false, replace: false)
        _ = try zoo.addEncoder(
            NewEncoder(name: "minilm", modality: .text, backend: "bert", pooledWidth: 32, tokenWidth: 32,
                       source: "sentence-transformers/all-MiniLM-L6-v2", license: nil),
            from: CheckpointFolder(url: textFolder), link: false, replace: false)
    }

    /// Packs the source projector to `name` in the fixture folder.
    func pack(_ name: String = "a.zoo") throws -> PackedArchive {
        try source.pack(PairReference(parsing: "dino+minilm@v1"), to: folder.url.appendingPathComponent(name))
    }

    /// The stored bytes of a source checkpoint file.
    func storedFile(_ name: String) throws -> Data {
        try Data(contentsOf: source.store.folder(for: entry.record.checkpointDigest).appendingPathComponent(name))
    }

    /// The valid manifest and file contents, for crafting archives.
    func parts() throws -> (manifest: ArchiveManifest, files: [String: Data]) {
        let (manifest, card) = try source.archiveManifest(for: entry)
        return (manifest, ["MODEL_CARD.md": card, "config.json": try storedFile("config.json"),
                           "projector.safetensors": try storedFile("projector.safetensors")])
    }

    /// Writes an archive of `entries`, in order, with libarchive.
    func craft(_ name: String, _ entries: [(String, Data, TarZstdWriter.Kind)]) throws -> URL {
        let url = folder.url.appendingPathComponent(name)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let writer = try TarZstdWriter(fd: fd, path: url.path)
        for (path, data, kind) in entries { try writer.add(path, data: data, kind: kind) }
        try writer.finish()
        return url
    }

    /// A valid archive's entries with `change` applied to the manifest and `edit` to the list.
    func craft(_ name: String, manifest change: (inout ArchiveManifest) -> Void = { _ in },
               entries edit: (inout [(String, Data, TarZstdWriter.Kind)]) -> Void = { _ in }) throws -> URL {
        var (manifest, files) = try parts()
        change(&manifest)
        var entries: [(String, Data, TarZstdWriter.Kind)] = [("manifest.json", try manifest.encoded(), .regular)]
        for name in ["MODEL_CARD.md", "config.json", "projector.safetensors"] { entries.append((name, files[name]!, .regular)) }
        files.removeAll()
        edit(&entries)
        return try craft(name, entries)
    }

    /// Imports `url` into the target home and checks it is refused with 65 naming `reason`,
    /// leaving the target's projectors and store entries as they were.
    func expectRefused(_ url: URL, _ reasons: [String], limits: ArchiveLimits = .standard,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try target.store.entries()
        let checkpoints = try target.catalog.checkpoints()
        let error = zooError { _ = try target.importArchive(url, limits: limits) }
        #expect(error?.kind == .data, "\(String(describing: error))", sourceLocation: sourceLocation)
        for reason in reasons {
            #expect(error?.message.contains(reason) == true, "'\(reason)' not in: \(error?.message ?? "no error")", sourceLocation: sourceLocation)
        }
        #expect(try target.catalog.projectors().isEmpty, sourceLocation: sourceLocation)
        #expect(try target.catalog.checkpoints() == checkpoints, sourceLocation: sourceLocation)
        let after = try target.store.entries()
        #expect(after.digests == before.digests && after.leftovers == before.leftovers, sourceLocation: sourceLocation)
    }
}

@Suite("Archive pack and import")
struct ArchiveTests {
    @Test("pack then import into another home keeps the projector; packing again gives the same bytes")
    func roundTrip() throws {
        let fixture = try ArchiveFixture()
        let packed = try fixture.pack()
        #expect(packed.entry.reference == "facebook/dino-tiny+minilm@v1")
        #expect(packed.manifest.format == "zoo-projector" && packed.manifest.formatVersion == 1)
        #expect(packed.manifest.encoders.vision.source == "facebook/dino-tiny")
        #expect(packed.manifest.encoders.vision.aliases == ["dino"])
        #expect(packed.manifest.encoders.text.license == nil)
        #expect(Set(packed.manifest.files.keys) == ["MODEL_CARD.md", "config.json", "projector.safetensors"])
        #expect(packed.manifest.evaluations.isEmpty)

        let imported = try fixture.target.importArchive(packed.url)
        #expect(imported.entry.reference == "facebook/dino-tiny+minilm@v1")
        #expect(!imported.alreadyStored)
        let original = fixture.entry.record
        let copy = try fixture.target.catalog.projectorEntry(for: PairReference(parsing: "dino+minilm@v1")).record
        #expect(copy.checkpointDigest == original.checkpointDigest)
        #expect(copy.architecture == original.architecture)
        #expect(copy.trainingConfig == original.trainingConfig)
        #expect(copy.dataSummary == original.dataSummary)
        #expect(copy.finalLoss == original.finalLoss)
        #expect(copy.history == original.history)
        #expect(try fixture.target.verify().ok)
        #expect(try fixture.target.store.entries().leftovers.isEmpty)

        let again = try fixture.target.pack(PairReference(parsing: "dino+minilm"), to: fixture.folder.url.appendingPathComponent("b.zoo"))
        #expect(try Data(contentsOf: again.url) == Data(contentsOf: packed.url))
        #expect(again.sha256 == packed.sha256)
    }

    @Test("packing twice gives identical bytes: manifest first, then sorted, fixed metadata, ustar without pax records")
    func deterministic() throws {
        let fixture = try ArchiveFixture()
        let first = try fixture.pack("one.zoo")
        let second = try fixture.pack("two.zoo")
        #expect(try Data(contentsOf: first.url) == Data(contentsOf: second.url))
        #expect(FileManager.default.fileExists(atPath: first.url.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.url.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)

        let handle = try #require(archive_read_new())
        defer { archive_read_free(handle) }
        archive_read_support_filter_all(handle)
        archive_read_support_format_all(handle)
        #expect(archive_read_open_filename(handle, first.url.path, 1 << 16) == ARCHIVE_OK)
        var names: [String] = []
        var entry: OpaquePointer?
        while archive_read_next_header(handle, &entry) == ARCHIVE_OK, let entry {
            names.append(String(cString: archive_entry_pathname(entry)))
            #expect(archive_entry_mtime(entry) == 0)
            #expect(archive_entry_uid(entry) == 0 && archive_entry_gid(entry) == 0)
            #expect(archive_entry_mode(entry) == 0o100644)
            #expect(archive_entry_uname(entry) == nil || String(cString: archive_entry_uname(entry)).isEmpty)
            #expect(archive_format(handle) == ARCHIVE_FORMAT_TAR_USTAR)
        }
        #expect(names == ["manifest.json", "MODEL_CARD.md", "config.json", "projector.safetensors"])
        #expect((0..<archive_filter_count(handle)).contains { archive_filter_code(handle, $0) == ARCHIVE_FILTER_ZSTD })
    }

    @Test("the manifest carries evaluations and the model card summarises everything without timestamps")
    func evaluationsAndCard() throws {
        let fixture = try ArchiveFixture()
        let dataset = try fixture.source.catalog.addDataset(
            NewDataset(name: "fashion-test", path: "/data/f", format: "idx", task: "classification", split: "test", options: "{}"),
            replace: false)
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        try fixture.source.catalog.write { db in
            var run = EvalRunRecord(id: nil, projectorId: fixture.entry.record.id!, datasetId: dataset.id!, task: "classification",
                                    metrics: #"{"top1":0.8125,"top5":0.975}"#, seconds: 3.5, zooVersion: "0.1.0", createdAt: created)
            try run.insert(db)
        }
        let packed = try fixture.pack()
        let evaluation = try #require(packed.manifest.evaluations.first)
        #expect(evaluation.dataset == "fashion-test" && evaluation.task == "classification")
        #expect(evaluation.metrics == .object(["top1": .number(0.8125), "top5": .number(0.975)]))
        #expect(evaluation.createdAt == "2023-11-14T22:13:20Z")

        let (_, card) = try fixture.source.archiveManifest(for: fixture.entry)
        let text = String(decoding: card, as: UTF8.self)
        for expected in ["# Projector facebook/dino-tiny+minilm@v1", "facebook/dino-tiny", "apache-2.0",
                         "sentence-transformers/all-MiniLM-L6-v2", "\"outputWidth\" : 16", "| lr | 0.001 |",
                         "| dataset | fashion-train |", "Final training loss: 1.250000", "2.5000 1.2500",
                         "| classification | fashion-test | top1 0.8125, top5 0.975 | 3.5 | 0.1.0 |",
                         fixture.entry.record.checkpointDigest] {
            #expect(text.contains(expected), "card lacks \(expected)")
        }
        #expect(!text.contains("2023"))
        #expect(try fixture.source.archiveManifest(for: fixture.entry).modelCard == card)
    }

    @Test("a missing encoder is 66 naming it, its source and the command to add it; a same-named other checkpoint is not enough")
    func missingEncoder() throws {
        let fixture = try ArchiveFixture()
        let packed = try fixture.pack()
        let empty = try ModelZoo(home: ZooHome(url: fixture.folder.url.appendingPathComponent("c")))
        let error = zooError { _ = try empty.importArchive(packed.url) }
        #expect(error?.kind == .noInput)
        for expected in ["vision encoder 'facebook/dino-tiny'", "from 'facebook/dino-tiny'", "zoo encoder add facebook/dino-tiny",
                         "--backend dinov2", "--source facebook/dino-tiny", "--license apache-2.0"] {
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
        #expect(try empty.catalog.projectors().isEmpty)
        #expect(try empty.store.entries().leftovers.isEmpty)

        // Same names, different checkpoints: still missing, and the message says why.
        let other = try ModelZoo(home: ZooHome(url: fixture.folder.url.appendingPathComponent("d")))
        try ArchiveFixture.register(other, visionFolder: fixture.folder.checkpoint("v2", seed: 9, modelType: "dinov2"),
                                    textFolder: fixture.folder.url.appendingPathComponent("t"))
        let differs = zooError { _ = try other.importArchive(packed.url) }
        #expect(differs?.kind == .noInput)
        #expect(differs?.message.contains("here has checkpoint") == true, "\(differs?.message ?? "")")
    }

    @Test("encoders are matched by checkpoint digest, whatever their names here")
    func matchedByDigest() throws {
        let fixture = try ArchiveFixture()
        let packed = try fixture.pack()
        let renamed = try ModelZoo(home: ZooHome(url: fixture.folder.url.appendingPathComponent("e")))
        try ArchiveFixture.register(renamed, visionFolder: fixture.folder.url.appendingPathComponent("v"),
                                    textFolder: fixture.folder.url.appendingPathComponent("t"), visionName: "my-dino")
        let imported = try renamed.importArchive(packed.url)
        #expect(imported.entry.reference == "my-dino+minilm@v1")
    }

    @Test("--as sets the tag; a clash is 65 suggesting --as")
    func tags() throws {
        let fixture = try ArchiveFixture()
        let packed = try fixture.pack()
        _ = try fixture.target.importArchive(packed.url)
        let clash = zooError { _ = try fixture.target.importArchive(packed.url) }
        #expect(clash?.kind == .data)
        #expect(clash?.message.contains("--as") == true)
        let second = try fixture.target.importArchive(packed.url, as: "imported")
        #expect(second.entry.reference == "facebook/dino-tiny+minilm@imported")
        #expect(second.alreadyStored)
        #expect(try fixture.target.catalog.projectors().count == 2)
        #expect(zooError { _ = try fixture.target.importArchive(packed.url, as: "bad tag") }?.kind == .usage)
        #expect(try fixture.target.verify().ok)
    }

    // MARK: - Hostile archives

    @Test("an absolute path is refused")
    func absolutePath() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.insert(("/tmp/evil", Data("x".utf8), .regular), at: 1) })
        try fixture.expectRefused(url, ["'/tmp/evil'", "absolute path"])
    }

    @Test("a '..' component is refused")
    func dotDot() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.insert(("../x", Data("x".utf8), .regular), at: 1) })
        try fixture.expectRefused(url, ["'../x'", "'..' component"])
    }

    @Test("a symbolic link is refused")
    func symlink() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0[2] = ("config.json", Data(), .symlink(to: "/etc/passwd")) })
        try fixture.expectRefused(url, ["'config.json'", "symbolic link", "/etc/passwd"])
    }

    @Test("a hard link is refused")
    func hardlink() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0[2] = ("config.json", Data(), .hardlink(to: "manifest.json")) })
        try fixture.expectRefused(url, ["'config.json'", "hard link"])
    }

    @Test("devices, FIFOs and directories are refused")
    func specialFiles() throws {
        let fixture = try ArchiveFixture()
        let cases: [(TarZstdWriter.Kind, String)] = [(.fifo, "FIFO"), (.characterDevice, "character device"), (.directory, "directory")]
        for (kind, reason) in cases {
            let url = try fixture.craft("x-\(reason).zoo", entries: { $0[3] = ("projector.safetensors", Data(), kind) })
            try fixture.expectRefused(url, ["'projector.safetensors", reason, "not a regular file"])
        }
    }

    @Test("a duplicate entry is refused")
    func duplicate() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.append($0[2]) })
        try fixture.expectRefused(url, ["'config.json'", "duplicate entry"])
    }

    @Test("an entry the manifest does not list is refused")
    func unlisted() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.insert(("extra.bin", Data("x".utf8), .regular), at: 2) })
        try fixture.expectRefused(url, ["'extra.bin'", "not listed in manifest.json"])
    }

    @Test("manifest.json must be the first entry")
    func manifestNotFirst() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.swapAt(0, 2) })
        try fixture.expectRefused(url, ["'config.json'", "manifest.json must be the first entry"])
    }

    @Test("a compression bomb stops at the cap on unpacked size")
    func bomb() throws {
        let fixture = try ArchiveFixture()
        let zeros = Data(count: 8 << 20)
        let digest = ContentHash.sha256(data: zeros)
        let url = try fixture.craft("bomb.zoo", manifest: { manifest in
            manifest.files["projector.safetensors"] = .init(bytes: Int64(zeros.count), sha256: digest)
            manifest.projector.checkpointDigest = CheckpointDigest.digest(of: manifest.checkpointFiles)
        }, entries: { $0[3] = ("projector.safetensors", zeros, .regular) })
        let compressed = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        #expect(compressed < 64 << 10)
        try fixture.expectRefused(url, ["cap of 1048576 bytes"], limits: ArchiveLimits(totalBytes: 1 << 20))
        // The default caps take it.
        _ = try fixture.target.importArchive(url)
    }

    @Test("a manifest above its cap is refused before it is read")
    func manifestBomb() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { entries in
            entries[0].1.append(Data(repeating: 0x20, count: 2 << 20))
        })
        try fixture.expectRefused(url, ["'manifest.json'", "cap of 1048576 bytes"])
        try fixture.expectRefused(url, ["'manifest.json'", "cap of 4096 bytes"], limits: ArchiveLimits(manifestBytes: 4096))
    }

    @Test("a file whose SHA-256 differs from the manifest is refused")
    func hashMismatch() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { entries in
            var bytes = entries[3].1
            bytes[0] ^= 0xff
            entries[3].1 = bytes
        })
        try fixture.expectRefused(url, ["'projector.safetensors'", "SHA-256", "hash mismatch"])
    }

    @Test("a file whose size differs from the manifest is refused")
    func sizeMismatch() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0[2].1.append(contentsOf: Array(" ".utf8)) })
        try fixture.expectRefused(url, ["'config.json'", "size mismatch"])
    }

    @Test("a listed file missing from the archive is refused")
    func missingFile() throws {
        let fixture = try ArchiveFixture()
        let url = try fixture.craft("x.zoo", entries: { $0.removeLast() })
        try fixture.expectRefused(url, ["'projector.safetensors'", "missing file"])
    }

    @Test("an unknown format or format_version is refused, saying which versions this zoo reads")
    func unknownVersion() throws {
        let fixture = try ArchiveFixture()
        let newer = try fixture.craft("v2.zoo", manifest: { $0.formatVersion = 2 })
        try fixture.expectRefused(newer, ["format_version 2", "reads format_version 1"])
        let other = try fixture.craft("other.zoo", manifest: { $0.format = "something-else" })
        try fixture.expectRefused(other, ["format 'something-else'"])
    }

    @Test("a malformed manifest, a wrong checkpoint digest and a config.json unlike the architecture are refused")
    func inconsistentManifest() throws {
        let fixture = try ArchiveFixture()
        let garbage = try fixture.craft("garbage.zoo", entries: { $0[0].1 = Data(#"{"format":"zoo-projector","format_version":1}"#.utf8) })
        try fixture.expectRefused(garbage, ["manifest.json is malformed", "missing field"])
        let digest = try fixture.craft("digest.zoo", manifest: { $0.projector.checkpointDigest = String(repeating: "0", count: 64) })
        try fixture.expectRefused(digest, ["projector.checkpoint_digest"])
        let architecture = try fixture.craft("arch.zoo", manifest: { $0.projector.architecture = .object(["input": .string("token")]) })
        try fixture.expectRefused(architecture, ["'config.json'", "projector.architecture"])
        let listed = try fixture.craft("listed.zoo", manifest: { $0.files["../escape"] = .init(bytes: 1, sha256: String(repeating: "a", count: 64)) })
        try fixture.expectRefused(listed, ["'../escape'", "'..' component"])
    }

    @Test("a tar archive that is not zstd-compressed is refused")
    func uncompressed() throws {
        let fixture = try ArchiveFixture()
        let (manifest, _) = try fixture.parts()
        let url = fixture.folder.url.appendingPathComponent("plain.zoo")
        let handle = try #require(archive_write_new())
        defer { archive_write_free(handle) }
        archive_write_set_format_ustar(handle)
        #expect(archive_write_open_filename(handle, url.path) == ARCHIVE_OK)
        let data = try manifest.encoded()
        let entry = try #require(archive_entry_new())
        defer { archive_entry_free(entry) }
        archive_entry_copy_pathname(entry, "manifest.json")
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, Int64(data.count))
        #expect(archive_write_header(handle, entry) == ARCHIVE_OK)
        _ = data.withUnsafeBytes { archive_write_data(handle, $0.baseAddress, $0.count) }
        #expect(archive_write_close(handle) == ARCHIVE_OK)
        try fixture.expectRefused(url, ["not zstd-compressed"])
    }

    @Test("a file that is not an archive, and a truncated archive, are refused")
    func notAnArchive() throws {
        let fixture = try ArchiveFixture(weightBytes: 600_000, randomWeights: true)
        let text = fixture.folder.write("notes.zoo", "just some text, not a tar archive at all\n")
        try fixture.expectRefused(text, ["not a zoo archive"])
        let empty = fixture.folder.write("empty.zoo", Data())
        try fixture.expectRefused(empty, ["not a zoo archive"])

        let packed = try fixture.pack()
        let bytes = try Data(contentsOf: packed.url)
        let truncated = fixture.folder.write("truncated.zoo", bytes.prefix(bytes.count * 2 / 3))
        try fixture.expectRefused(truncated, ["corrupt or truncated"])
        #expect(zooError { _ = try fixture.target.importArchive(fixture.folder.url.appendingPathComponent("nope.zoo")) }?.kind == .noInput)
    }
}
