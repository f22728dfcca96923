import Foundation
import Registry
import ZooHub

/// `zoo encoder add NAME --from hf:ORG/REPO[@REVISION]`: resolve the revision through the
/// Hugging Face cache (downloading what is missing), then register exactly the files an
/// encoder needs, so the same commit always gives the same checkpoint digest whatever else
/// the cache's snapshot holds.
public enum HubEncoders {
    /// The outcome: the catalog entry and where its files came from.
    public struct Added: Sendable {
        public let entry: EncoderEntry
        public let snapshot: HubSnapshot
    }

    /// Resolves `reference` and registers it as `request.name`. The catalog's source is
    /// `hf:ORG/REPO@COMMIT`; the licence is the model card's unless `request.license` is set.
    ///
    /// - Throws: ``HubError`` for the Hub and cache, then what ``EncoderRegistration/add(_:zoo:)``
    ///   throws.
    public static func add(
        _ request: EncoderRegistration.Request, from reference: HubReference, zoo: ModelZoo,
        environment: HubEnvironment = HubEnvironment(), observer: (any HubDownloadObserver)? = nil
    ) async throws -> Added {
        let snapshot = try await HubResolver.resolve(reference, environment: environment, observer: observer)
        let entry = try register(request, snapshot: snapshot, zoo: zoo)
        return Added(entry: entry, snapshot: snapshot)
    }

    /// Registers the selected files of `snapshot` through a folder of links inside the zoo
    /// home, removed afterwards. With `expectedDigest`, refuses (65, nothing registered) a
    /// snapshot whose files would be stored under another checkpoint digest.
    static func register(
        _ request: EncoderRegistration.Request, snapshot: HubSnapshot, zoo: ModelZoo, expectedDigest: String? = nil
    ) throws -> EncoderEntry {
        let staging = zoo.home.checkpointsURL.appendingPathComponent(".tmp-hub-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        do {
            for path in snapshot.files {
                let target = staging.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                let source = snapshot.folder.appendingPathComponent(path).resolvingSymlinksInPath()
                guard symlink(source.path, target.path) == 0 else { throw ZooError(.io, "cannot link '\(target.path)' (\(String(cString: strerror(errno)))); check that the zoo home is writable") }
            }
        } catch let error as ZooError {
            throw error
        } catch {
            throw ZooError(.io, "cannot prepare '\(staging.path)' (\(error.localizedDescription)); check that the zoo home is writable")
        }
        if let expectedDigest {
            let digest = try CheckpointDigest.digest(of: try CheckpointFolder(url: staging))
            guard digest == expectedDigest else {
                throw ZooError(.data, "\(snapshot.source) gives checkpoint \(digest), but the archive recorded \(expectedDigest) for encoder '\(request.name)'; refusing it (the archive was made from other files of that model). Register the right files with 'zoo encoder add' and import again")
            }
        }
        var request = request
        request.folder = staging
        request.source = snapshot.source
        if request.license == nil { request.license = snapshot.license }
        return try EncoderRegistration.add(request, zoo: zoo)
    }

    /// One encoder `zoo import --fetch` fetched.
    public struct Fetched: Sendable {
        public let name: String
        public let source: String
        public let digest: String
        public let downloadedBytes: Int64
    }

    /// Fetches and registers every encoder the archive at `url` needs and this zoo lacks, from
    /// the `hf:ORG/REPO@COMMIT` source the archive records, refusing any whose checkpoint
    /// digest differs from the archive's. Encoders with another kind of source are left for
    /// the import to report.
    ///
    /// - Throws: ``HubError`` from the Hub; ``ZooError`` 65 for a digest that differs.
    public static func fetchMissing(
        for url: URL, zoo: ModelZoo, environment: HubEnvironment = HubEnvironment(), observer: (any HubDownloadObserver)? = nil
    ) async throws -> [Fetched] {
        var fetched: [Fetched] = []
        for needed in try zoo.missingEncoders(in: url) {
            guard let source = needed.source, HubReference.isReference(source) else { continue }
            let reference = try HubReference(parsing: source)
            let snapshot = try await HubResolver.resolve(reference, environment: environment, observer: observer)
            let taken = (try? zoo.catalog.encoder(named: needed.name)) != nil
            var request = EncoderRegistration.Request(name: taken ? "\(needed.name)-\(needed.checkpointDigest.prefix(8))" : needed.name, folder: snapshot.folder)
            request.backend = needed.backend
            request.modality = needed.modality
            request.license = needed.license
            let entry = try register(request, snapshot: snapshot, zoo: zoo, expectedDigest: needed.checkpointDigest)
            fetched.append(Fetched(name: entry.name, source: snapshot.source, digest: entry.checkpoint.digest, downloadedBytes: snapshot.downloadedBytes))
        }
        return fetched
    }
}
