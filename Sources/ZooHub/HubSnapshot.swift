import Foundation

/// A repository revision resolved to a commit and present in the Hugging Face cache: the
/// snapshot folder and the files of it an encoder needs.
public struct HubSnapshot: Sendable {
    /// The reference as asked (`revision` may be a branch or tag).
    public let requested: HubReference
    /// The commit the revision resolved to.
    public let commit: String
    /// `CACHE/models--ORG--REPO/snapshots/COMMIT`.
    public let folder: URL
    /// The files registered as the checkpoint, relative to ``folder``
    /// (``HubFileSelection/registered(_:)``).
    public let files: [String]
    /// The licence of the model card's metadata (`license:`), if it has one.
    public let license: String?
    /// Bytes fetched from the Hub (0 when the cache had everything).
    public let downloadedBytes: Int64
    /// Whether the network was not used at all.
    public let fromCache: Bool

    /// `hf:ORG/REPO@COMMIT`: what the catalog records as the encoder's source.
    public var source: String { "hf:\(requested.repository)@\(commit)" }
}

/// Resolves `hf:` references: from the cache when the revision's files are there, otherwise
/// (unless `HF_HUB_OFFLINE`) from the Hub into the cache.
public enum HubResolver {
    /// The snapshot of `reference`.
    ///
    /// - Throws: ``HubError`` (see ``HubClient``); offline with the revision not in the cache:
    ///   66 naming what is missing; a snapshot file that leads out of the repository's cache
    ///   folder: 65 (``HubCache/checkContained(_:commit:)``).
    public static func resolve(
        _ reference: HubReference, environment: HubEnvironment, observer: (any HubDownloadObserver)? = nil
    ) async throws -> HubSnapshot {
        let cache = HubCache(root: environment.cache, repository: reference.repository)
        let cached = cachedSnapshot(reference, cache: cache)
        if case .success(let snapshot) = cached {
            try cache.checkContained(snapshot.files, commit: snapshot.commit)
            return snapshot
        }
        if environment.offline, case .failure(let missing) = cached {
            throw HubError(.noInput, "HF_HUB_OFFLINE is set and the cache \(environment.cache.path) does not hold \(reference): \(missing.description); unset HF_HUB_OFFLINE to download it, or fetch it first (e.g. `huggingface-cli download \(reference.repository) --revision \(reference.revision)`)")
        }
        let client = HubClient(environment: environment)
        do {
            let snapshot = try await download(reference, cache: cache, client: client, observer: observer)
            await client.shutdown()
            return snapshot
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// What is missing from the cache, for the offline message.
    struct Missing: Error, CustomStringConvertible { let description: String }

    /// The cached snapshot when its commit is known and it holds config.json and every
    /// safetensors weight file (all shards an index names).
    static func cachedSnapshot(_ reference: HubReference, cache: HubCache) -> Result<HubSnapshot, Missing> {
        guard let commit = cache.commit(for: reference.revision) else {
            return .failure(Missing(description: "no \(cache.folder.appendingPathComponent("refs").appendingPathComponent(reference.revision).path)"))
        }
        let all = cache.files(in: commit)
        guard !all.isEmpty else { return .failure(Missing(description: "no snapshot \(cache.snapshot(commit).path)")) }
        let files = all.filter(HubFileSelection.registered)
        guard files.contains("config.json") else { return .failure(Missing(description: "no config.json in \(cache.snapshot(commit).path)")) }
        let weights = files.filter { !$0.contains("/") && $0.hasSuffix(".safetensors") }
        guard !weights.isEmpty else { return .failure(Missing(description: "no .safetensors weights in \(cache.snapshot(commit).path)")) }
        for index in files where index.hasSuffix(".safetensors.index.json") {
            let shards = shardNames(cache.snapshot(commit).appendingPathComponent(index))
            if let absent = shards.first(where: { !files.contains($0) }) {
                return .failure(Missing(description: "shard \(absent) that \(index) names"))
            }
        }
        let license = ModelCard.license(at: cache.snapshot(commit).appendingPathComponent("README.md"))
        return .success(HubSnapshot(
            requested: reference, commit: commit, folder: cache.snapshot(commit), files: files, license: license, downloadedBytes: 0, fromCache: true))
    }

    static func download(
        _ reference: HubReference, cache: HubCache, client: HubClient, observer: (any HubDownloadObserver)?
    ) async throws -> HubSnapshot {
        let revision = try await client.revision(reference)
        let listing = try await client.files(reference, commit: revision.commit)
        let chosen = try HubFileSelection.select(listing, reference: reference)
        var toFetch: [HubFile] = []
        for file in chosen where !cache.has(file.path, commit: revision.commit, size: file.size) {
            // A blob another revision (or Python) already fetched only needs a link.
            var info = stat()
            if stat(cache.blob(file.etag).path, &info) == 0, Int64(info.st_size) == file.size, (try? HubClient.matches(cache.blob(file.etag), file)) == true {
                try cache.link(file.path, commit: revision.commit, etag: file.etag)
            } else {
                toFetch.append(file)
            }
        }
        let bytes = toFetch.reduce(Int64(0)) { $0 + $1.size }
        observer?.willDownload(toFetch, bytes: bytes)
        for file in toFetch {
            try await cache.withBlobLock(file.etag) {
                // Another process may have fetched it while this one waited for the lock.
                var info = stat()
                if stat(cache.blob(file.etag).path, &info) == 0, Int64(info.st_size) == file.size, try HubClient.matches(cache.blob(file.etag), file) {
                    try cache.link(file.path, commit: revision.commit, etag: file.etag)
                    observer?.didDownload(file)
                } else {
                    try await client.download(file, of: reference, commit: revision.commit, into: cache, observer: observer)
                }
            }
        }
        // Files already in the snapshot were taken as they are: the same check as for a cache hit.
        try cache.checkContained(chosen.map(\.path), commit: revision.commit)
        try cache.writeRef(reference.revision, commit: revision.commit)
        let license = revision.license ?? ModelCard.license(at: cache.snapshot(revision.commit).appendingPathComponent("README.md"))
        return HubSnapshot(
            requested: reference, commit: revision.commit, folder: cache.snapshot(revision.commit),
            files: chosen.map(\.path).filter(HubFileSelection.registered).sorted(),
            license: license, downloadedBytes: bytes, fromCache: false)
    }

    /// The shard file names a `*.safetensors.index.json` maps tensors to.
    static func shardNames(_ url: URL) -> Set<String> {
        guard let data = try? Data(contentsOf: url), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = object["weight_map"] as? [String: String] else { return [] }
        return Set(map.values)
    }
}

/// Reads the YAML metadata block at the top of a model card (README.md).
public enum ModelCard {
    /// The `license:` value (a list joined with ", "), or nil.
    public static func license(at url: URL) -> String? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return license(in: text)
    }

    /// The `license:` value of the `---` block that opens `text`.
    public static func license(in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .init(charactersIn: "\r")) }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else { return nil }
        var index = 1
        while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces) != "---" {
            let line = lines[index]
            if line.hasPrefix("license:") {
                let value = clean(String(line.dropFirst("license:".count)))
                if !value.isEmpty { return value }
                var items: [String] = []
                var next = index + 1
                while next < lines.count, lines[next].trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
                    items.append(clean(String(lines[next].trimmingCharacters(in: .whitespaces).dropFirst(2))))
                    next += 1
                }
                return items.isEmpty ? nil : items.joined(separator: ", ")
            }
            index += 1
        }
        return nil
    }

    private static func clean(_ value: String) -> String {
        var text = value.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("[") && text.hasSuffix("]") {
            text = text.dropFirst().dropLast().split(separator: ",").map { clean(String($0)) }.joined(separator: ", ")
        }
        if (text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2) || (text.hasPrefix("'") && text.hasSuffix("'") && text.count >= 2) {
            text = String(text.dropFirst().dropLast())
        }
        return text
    }
}
