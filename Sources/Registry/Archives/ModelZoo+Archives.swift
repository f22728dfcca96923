import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `ModelZoo.pack` wrote.
public struct PackedArchive: Sendable, Equatable {
    /// The projector packed.
    public var entry: ProjectorEntry
    /// The manifest, the archive's first entry.
    public var manifest: ArchiveManifest
    /// The archive file.
    public var url: URL
    /// The archive's size in bytes.
    public var bytes: Int64
    /// The archive's SHA-256, lower-case hex.
    public var sha256: String
}

/// What `ModelZoo.importArchive` registered.
public struct ImportedProjector: Sendable, Equatable {
    /// The new projector row with the names its encoders have in this zoo.
    public var entry: ProjectorEntry
    /// The archive's manifest.
    public var manifest: ArchiveManifest
    /// Whether the projector checkpoint was already in the store.
    public var alreadyStored: Bool
}

extension ModelZoo {
    /// `VISION+TEXT@TAG.zoo`, with `/` in names replaced by `_`: the file `zoo pack` writes by default.
    public static func defaultArchiveName(for entry: ProjectorEntry) -> String {
        entry.reference.replacingOccurrences(of: "/", with: "_") + ".zoo"
    }

    /// The manifest and model card `pack` writes for `entry`; the manifest's `files` lists the
    /// stored checkpoint's files and the card.
    ///
    /// - Throws: `ZooError.data` (65) when the stored checkpoint cannot go into an archive
    ///   (files in subfolders, hidden or reserved names, config.json or projector.safetensors missing).
    public func archiveManifest(for entry: ProjectorEntry) throws -> (manifest: ArchiveManifest, modelCard: Data) {
        let record = entry.record
        guard let checkpoint = try catalog.checkpoint(digest: record.checkpointDigest) else {
            throw ZooError(.data, "projector \(entry.reference) points at checkpoint \(record.checkpointDigest), which has no catalog row; run 'zoo verify'")
        }
        let stored = try checkpoint.fileList()
        for file in stored {
            if let problem = ArchivePath.problem(file.path) {
                throw ZooError(.data, "cannot pack \(entry.reference): its checkpoint file \(ArchivePath.display(file.path)) \(problem); archives hold flat projector folders")
            }
            if file.path == ArchiveManifest.manifestPath || file.path == ArchiveManifest.modelCardPath {
                throw ZooError(.data, "cannot pack \(entry.reference): its checkpoint has a file named \(file.path), a name archives reserve")
            }
        }
        for required in ArchiveManifest.requiredCheckpointFiles where !stored.contains(where: { $0.path == required }) {
            throw ZooError(.data, "cannot pack \(entry.reference): its checkpoint has no \(required); archives hold projector folders as 'zoo train' stores them")
        }
        let vision = try catalog.encoder(named: entry.visionName)
        let text = try catalog.encoder(named: entry.textName)
        var manifest = ArchiveManifest(
            format: ArchiveManifest.formatName, formatVersion: ArchiveManifest.readableVersions[0],
            encoders: .init(vision: .init(vision), text: .init(text)),
            projector: .init(tag: record.tag, architecture: JSONValue(embedding: record.architecture),
                             checkpointDigest: record.checkpointDigest, finalLoss: record.finalLoss,
                             history: JSONValue(embedding: record.history)),
            training: JSONValue(embedding: record.trainingConfig), data: JSONValue(embedding: record.dataSummary),
            evaluations: try catalog.archiveEvaluations(projectorId: record.id!),
            files: Dictionary(uniqueKeysWithValues: stored.map { ($0.path, ArchiveManifest.File(bytes: $0.bytes, sha256: $0.sha256)) }),
            zooVersion: ZooVersion.current)
        let card = Data(ModelCard.markdown(for: manifest).utf8)
        manifest.files[ArchiveManifest.modelCardPath] = ArchiveManifest.File(bytes: Int64(card.count), sha256: ContentHash.sha256(data: card))
        return (manifest, card)
    }

    /// Writes the projector `pair` names (newest tag when none is given) as a tar + zstd archive:
    /// `manifest.json` first, then the model card and the stored checkpoint files in byte order
    /// of their names, with fixed metadata, so packing the same projector twice gives the same
    /// bytes. The file is written next to `output` and renamed into place.
    ///
    /// - Parameter output: the archive to write; nil means `defaultArchiveName` in the current directory.
    /// - Throws: `ZooError.noInput` (66) for an unknown pair; `.data` (65) when the stored files
    ///   differ from the catalog (run `zoo verify`); `.io` (74) when the file cannot be written.
    public func pack(_ pair: PairReference, to output: URL? = nil) throws -> PackedArchive {
        let entry = try catalog.projectorEntry(for: pair)
        let destination = output ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(ModelZoo.defaultArchiveName(for: entry))
        return try store.withLock(exclusive: false) {
            let (manifest, card) = try archiveManifest(for: entry)
            let checkpoint = store.folder(for: entry.record.checkpointDigest)
            let file = try DurableFile(creating: destination)
            let writer = try TarZstdWriter(fd: file.descriptor, path: destination.path)
            try writer.add(ArchiveManifest.manifestPath, data: try manifest.encoded())
            let names = manifest.files.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for name in names {
                let expected = manifest.files[name]!
                if name == ArchiveManifest.modelCardPath {
                    try writer.add(name, data: card)
                    continue
                }
                let source = checkpoint.appendingPathComponent(name).path
                let (sha, bytes) = try writer.add(name, size: expected.bytes, from: source)
                guard sha == expected.sha256, bytes == expected.bytes else {
                    throw ZooError(.data, "cannot pack \(entry.reference): stored file '\(source)' differs from the catalog (\(bytes) bytes, sha256 \(sha)); run 'zoo verify'")
                }
            }
            try writer.finish()
            let (sha, bytes) = try FileHasher.hash(file.temporaryURL.path)
            try file.commit()
            return PackedArchive(entry: entry, manifest: manifest, url: destination, bytes: bytes, sha256: sha)
        }
    }

    /// Verifies the archive at `url` and registers its projector: the archive is streamed once
    /// and treated as hostile (see `ArchiveReader`: only the listed regular files, each once,
    /// with the listed sizes and hashes, under `limits`), its checkpoint files are unpacked into
    /// a temporary folder inside the store and then stored and recorded in one step under the
    /// store lock. On any failure the catalog and the store are left as they were.
    ///
    /// - Parameters:
    ///   - tag: the tag to record (default: the archive's).
    ///   - limits: caps on the unpacked size (tests lower them).
    /// - Throws: `ZooError.data` (65) for a malformed, hostile or unsupported archive and for a
    ///   tag clash; `.noInput` (66) when the archive is missing or an encoder it needs is not
    ///   registered (matched by checkpoint digest), naming the encoder, its source and the command to add it.
    public func importArchive(_ url: URL, as tag: String? = nil, limits: ArchiveLimits = .standard) throws -> ImportedProjector {
        if let tag { try EncoderName.validate(tag, role: "tag") }
        let reader = try ArchiveReader(url: url, limits: limits)
        defer { reader.close() }
        let manifest = try reader.readManifest()
        let vision = try registeredEncoder(manifest.encoders.vision, archive: url)
        let text = try registeredEncoder(manifest.encoders.text, archive: url)
        let finalTag = tag ?? manifest.projector.tag
        if tag == nil, (try? EncoderName.validate(finalTag, role: "tag")) == nil {
            throw ZooError(.data, "cannot import '\(url.path)': its tag '\(finalTag)' is not a valid tag here; pass --as TAG")
        }
        let label = "\(vision.name)+\(text.name)"
        if try catalog.projectors(for: PairReference(parsing: label)).contains(where: { $0.record.tag.lowercased() == finalTag.lowercased() }) {
            throw ZooError(.data, "cannot import '\(url.path)': \(label) already has a projector tagged '\(finalTag)'; import it under another tag with --as TAG")
        }
        let row = ProjectorRecord(
            visionEncoderId: vision.record.id!, textEncoderId: text.record.id!,
            architecture: manifest.projector.architecture.catalogText, checkpointDigest: manifest.projector.checkpointDigest,
            trainingConfig: manifest.training.catalogText, dataSummary: manifest.data.catalogText, tag: finalTag,
            createdAt: Date(), finalLoss: manifest.projector.finalLoss, history: manifest.projector.history.catalogText)
        let (inserted, alreadyStored) = try store.withLock(exclusive: false) { () throws -> (ProjectorRecord, Bool) in
            let temporary = store.root.appendingPathComponent(CheckpointStore.temporaryPrefix + "import-" + UUID().uuidString)
            guard mkdir(temporary.path, 0o755) == 0 else { throw ZooError.posix("create", temporary.path) }
            defer { try? FileManager.default.removeItem(at: temporary) }
            try reader.extract(into: temporary)
            let config = try Data(contentsOf: temporary.appendingPathComponent("config.json"))
            guard (try? JSONDecoder().decode(JSONValue.self, from: config)) == manifest.projector.architecture else {
                throw ZooError(.data, "cannot import '\(url.path)': entry 'config.json' does not match manifest.json's projector.architecture; nothing was imported")
            }
            let stored = try store.add(try CheckpointFolder(url: temporary), link: true)
            guard stored.digest == manifest.projector.checkpointDigest else {
                throw ZooError(.software, "imported checkpoint stored as \(stored.digest), expected \(manifest.projector.checkpointDigest)")
            }
            return (try catalog.insertProjector(row, stored: stored), stored.alreadyStored)
        }
        return ImportedProjector(entry: ProjectorEntry(record: inserted, visionName: vision.name, textName: text.name),
                                 manifest: manifest, alreadyStored: alreadyStored)
    }

    /// The encoders `url` needs that are not registered here (none matches its checkpoint
    /// digest and modality), read from the archive's manifest alone.
    ///
    /// - Throws: what ``importArchive(_:as:limits:)`` throws for an archive that cannot be read.
    public func missingEncoders(in url: URL, limits: ArchiveLimits = .standard) throws -> [ArchiveManifest.EncoderInfo] {
        let reader = try ArchiveReader(url: url, limits: limits)
        defer { reader.close() }
        let manifest = try reader.readManifest()
        return try [manifest.encoders.vision, manifest.encoders.text].filter {
            try catalog.encoders(withCheckpoint: $0.checkpointDigest, modality: $0.modality).isEmpty
        }
    }

    /// The registered encoder an archive needs, matched by checkpoint digest (preferring the same
    /// name), or `ZooError.noInput` (66) saying how to add it.
    private func registeredEncoder(_ needed: ArchiveManifest.EncoderInfo, archive: URL) throws -> EncoderEntry {
        let candidates = try catalog.encoders(withCheckpoint: needed.checkpointDigest, modality: needed.modality)
        if let match = candidates.first(where: { $0.name.lowercased() == needed.name.lowercased() }) ?? candidates.first {
            return match
        }
        var detail = ""
        if let same = try? catalog.encoder(named: needed.name) {
            detail = " (the encoder named '\(same.name)' here has checkpoint \(same.record.checkpointDigest.prefix(12)), not \(needed.checkpointDigest.prefix(12)))"
        }
        // Everything below comes from the archive: shown escaped.
        let name = ArchivePath.display(needed.name)
        let source = needed.source.map(ArchivePath.display) ?? "an unknown source"
        if let value = needed.source, value.hasPrefix("hf:") {
            throw ZooError(.noInput, "cannot import '\(archive.path)': it needs the \(needed.modality.rawValue) encoder \(name) from \(source) (checkpoint \(needed.checkpointDigest)), which is not registered here\(detail); run 'zoo import \(ModelZoo.shellQuoted(archive.path)) --fetch' to fetch it from the Hugging Face cache or Hub (its digest is checked), or 'zoo encoder add \(ModelZoo.shellQuoted(needed.name)) --from \(ModelZoo.shellQuoted(value))' and import again")
        }
        var command = "zoo encoder add \(ModelZoo.shellQuoted(needed.name)) --from DIR --modality \(needed.modality.rawValue) --backend \(ModelZoo.shellQuoted(needed.backend))"
        if let value = needed.source { command += " --source \(ModelZoo.shellQuoted(value))" }
        if let value = needed.license { command += " --license \(ModelZoo.shellQuoted(value))" }
        throw ZooError(.noInput, "cannot import '\(archive.path)': it needs the \(needed.modality.rawValue) encoder \(name) from \(source) (checkpoint \(needed.checkpointDigest)), which is not registered here\(detail); download that checkpoint and run '\(command)' with DIR holding it, then import again")
    }

    /// `text` as one shell word: bare when it is plain ASCII, else single-quoted with control characters escaped.
    private static func shellQuoted(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-/:@+=".unicodeScalars.contains($0)) }
        if safe && !text.isEmpty { return text }
        return ArchivePath.display(text).replacingOccurrences(of: "\\'", with: "'\\''")
    }
}

extension ContentHash {
    /// The SHA-256 of `data`, lower-case hex.
    static func sha256(data: Data) -> String {
        CheckpointDigest.hex(SHA256.hash(data: data))
    }
}
