import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// A Hugging Face Hub-compatible server on loopback for tests: the revision and tree API and
/// `resolve/COMMIT/PATH`, which redirects file contents to a second server (the "CDN", reached
/// as `localhost` while the Hub is `127.0.0.1`, so the two are different hosts) that honours
/// Range requests. Faults are injected per file: 5xx answers, 429 with Retry-After, a
/// connection dropped in the middle of the body, wrong bytes.
final class TestHub: @unchecked Sendable {
    /// One repository: its files at one commit, branches pointing at it.
    struct Repository {
        var files: [String: Data]
        var commit: String
        var branches: Set<String> = ["main"]
        var license: String?
        /// Needs `Authorization: Bearer <token>` (401 GatedRepo otherwise).
        var token: String?
        /// Files stored with LFS (sha256 in the listing); the rest are plain git blobs.
        var lfs: (String) -> Bool = { $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") || $0.hasSuffix(".onnx") }
        /// Entries the tree listing shows beside the files' own (a hostile server's paths, say).
        var extraEntries: [[String: Any]] = []
    }

    /// Faults for one file path, used up as requests come.
    struct Faults {
        var serverErrors = 0
        var rateLimits = 0
        var retryAfter = 1
        /// Drop the connection after this many bytes, this many times.
        var dropAfterBytes: Int? = nil
        var drops = 0
        /// Serve these bytes instead of the file (a corrupt mirror), every time.
        var corrupt: Data? = nil
        /// Answer `resolve` with 404 EntryNotFound although the listing names the file.
        var notFound = false
    }

    private let lock = NSLock()
    private var repositories: [String: Repository] = [:]
    private var faults: [String: Faults] = [:]
    private(set) var log: [String] = []
    private(set) var rangeRequests: [String] = []
    private(set) var cdnAuthorizations = 0
    private var group: ServiceGroup?
    private var tasks: [Task<Void, any Error>] = []
    private(set) var hubPort = 0
    private(set) var cdnPort = 0

    var endpoint: String { "http://127.0.0.1:\(hubPort)" }

    func add(_ name: String, _ repository: Repository) { lock.withLock { repositories[name] = repository } }
    func inject(_ path: String, _ fault: Faults) { lock.withLock { faults[path] = fault } }
    var requests: [String] { lock.withLock { log } }
    var ranges: [String] { lock.withLock { rangeRequests } }
    var cdnSawToken: Bool { lock.withLock { cdnAuthorizations > 0 } }

    static let errorCode = HTTPField.Name("X-Error-Code")!
    static let repoCommit = HTTPField.Name("X-Repo-Commit")!
    static let linkedEtag = HTTPField.Name("X-Linked-Etag")!
    static let linkedSize = HTTPField.Name("X-Linked-Size")!

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
    static func gitOID(_ data: Data) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Data("blob \(data.count)\u{0}".utf8))
        hasher.update(data: data)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Starts both servers; returns once both listen.
    func start() async throws {
        let hubRouter = Router()
        let cdnRouter = Router()
        hubRouter.get("/api/models/:org/:name/revision/:revision") { request, context in try self.revision(request, context) }
        hubRouter.get("/api/models/:org/:name/tree/:commit") { request, context in try self.tree(request, context) }
        hubRouter.get("/:org/:name/resolve/:commit/**") { request, context in try self.resolve(request, context) }
        hubRouter.head("/:org/:name/resolve/:commit/**") { request, context in try self.resolve(request, context) }
        cdnRouter.get("/blobs/:org/:name/:commit/**") { request, context in try self.blob(request, context) }
        let ports = PortBox()
        var quiet = Logger(label: "test-hub")
        quiet.logLevel = .warning
        let hub = Application(
            router: hubRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set(hub: $0.localAddress?.port ?? 0) }, logger: quiet)
        let cdn = Application(
            router: cdnRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ports.set(cdn: $0.localAddress?.port ?? 0) }, logger: quiet)
        let group = ServiceGroup(services: [hub, cdn], gracefulShutdownSignals: [], logger: quiet)
        self.group = group
        // On threads of its own: other suites block the shared task threads while their zoo
        // processes run, which must not stall the Hub those processes talk to.
        tasks.append(Task(executorPreference: Self.executor) { try await group.run() })
        let deadline = Date().addingTimeInterval(300)
        while (ports.hub == 0 || ports.cdn == 0) && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        hubPort = ports.hub
        cdnPort = ports.cdn
        guard hubPort > 0, cdnPort > 0 else { throw ServerStartError(message: "the test Hub did not start") }
    }

    func stop() async {
        await group?.triggerGracefulShutdown()
        for task in tasks { _ = try? await task.value }
    }

    // MARK: Routes

    private func record(_ line: String) { lock.withLock { log.append(line) } }

    private func repository(_ context: BasicRequestContext, _ request: Request) throws -> (String, Repository) {
        let name = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
        guard let repository = lock.withLock({ repositories[name] }) else {
            throw HTTPError(.notFound, headers: [Self.errorCode: "RepoNotFound"], message: "Repository not found")
        }
        if let token = repository.token, request.headers[.authorization] != "Bearer \(token)" {
            throw HTTPError(.unauthorized, headers: [Self.errorCode: "GatedRepo"], message: "Access to this model is restricted")
        }
        return (name, repository)
    }

    private func json(_ value: Any) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func revision(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (name, repository) = try self.repository(context, request)
        let revision = context.parameters.get("revision") ?? ""
        record("revision \(name) \(revision)")
        guard repository.branches.contains(revision) || revision == repository.commit else {
            throw HTTPError(.notFound, headers: [Self.errorCode: "RevisionNotFound"], message: "Invalid rev id: \(revision)")
        }
        var object: [String: Any] = ["id": name, "sha": repository.commit, "siblings": repository.files.keys.sorted().map { ["rfilename": $0] }]
        if let license = repository.license { object["cardData"] = ["license": license] }
        return try json(object)
    }

    private func tree(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (name, repository) = try self.repository(context, request)
        record("tree \(name)")
        guard context.parameters.get("commit") == repository.commit else {
            throw HTTPError(.notFound, headers: [Self.errorCode: "RevisionNotFound"], message: "Invalid rev id")
        }
        var entries: [[String: Any]] = []
        var folders: Set<String> = []
        for (path, data) in repository.files.sorted(by: { $0.key < $1.key }) {
            var entry: [String: Any] = ["type": "file", "path": path, "size": data.count, "oid": Self.gitOID(data)]
            if repository.lfs(path) { entry["lfs"] = ["oid": Self.sha256(data), "size": data.count, "pointerSize": 134] }
            entries.append(entry)
            if let slash = path.lastIndex(of: "/") { folders.insert(String(path[..<slash])) }
        }
        for folder in folders.sorted() { entries.append(["type": "directory", "path": folder, "size": 0, "oid": String(repeating: "0", count: 40)]) }
        return try json(entries + repository.extraEntries)
    }

    private func resolve(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (name, repository) = try self.repository(context, request)
        let path = context.parameters.getCatchAll().joined(separator: "/")
        let asked = context.parameters.get("commit") ?? ""
        record("resolve \(name) \(path)")
        guard asked == repository.commit || repository.branches.contains(asked) else {
            throw HTTPError(.notFound, headers: [Self.errorCode: "RevisionNotFound"], message: "Invalid rev id")
        }
        let commit = repository.commit
        guard repository.files[path] != nil else {
            throw HTTPError(.notFound, headers: [Self.errorCode: "EntryNotFound"], message: "Entry not found")
        }
        var fault = lock.withLock { faults[path] } ?? Faults()
        if fault.notFound {
            throw HTTPError(.notFound, headers: [Self.errorCode: "EntryNotFound"], message: "Entry not found")
        }
        if fault.serverErrors > 0 {
            fault.serverErrors -= 1
            lock.withLock { faults[path] = fault }
            return Response(status: .badGateway)
        }
        if fault.rateLimits > 0 {
            fault.rateLimits -= 1
            lock.withLock { faults[path] = fault }
            return Response(status: .tooManyRequests, headers: [.retryAfter: String(fault.retryAfter)])
        }
        // Contents come from the other host, as the Hub's LFS files come from its CDN; the
        // headers are those huggingface_hub reads from the redirect.
        let location = "http://localhost:\(cdnPort)/blobs/\(name)/\(commit)/\(path)"
        let data = repository.files[path]!
        let etag = repository.lfs(path) ? Self.sha256(data) : Self.gitOID(data)
        return Response(status: .found, headers: [
            .location: location, Self.repoCommit: commit, Self.linkedEtag: "\"\(etag)\"", Self.linkedSize: String(data.count), .eTag: "\"\(etag)\"",
        ])
    }

    private func blob(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        if request.headers[.authorization] != nil { lock.withLock { cdnAuthorizations += 1 } }
        let name = "\(context.parameters.get("org") ?? "")/\(context.parameters.get("name") ?? "")"
        let path = context.parameters.getCatchAll().joined(separator: "/")
        guard let repository = lock.withLock({ repositories[name] }), var data = repository.files[path] else { throw HTTPError(.notFound) }
        record("blob \(name) \(path)")
        var fault = lock.withLock { faults[path] } ?? Faults()
        if let corrupt = fault.corrupt { data = corrupt }
        var start = 0
        var status = HTTPResponse.Status.ok
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let range = request.headers[.range], range.hasPrefix("bytes="), range.hasSuffix("-"), let from = Int(range.dropFirst(6).dropLast()) {
            lock.withLock { rangeRequests.append("\(path) \(range)") }
            guard from < data.count else { return Response(status: .rangeNotSatisfiable) }
            start = from
            status = .partialContent
            headers[.contentRange] = "bytes \(from)-\(data.count - 1)/\(data.count)"
        }
        let body = data.subdata(in: start..<data.count)
        var drop: Int?
        if let after = fault.dropAfterBytes, fault.drops > 0, after < body.count {
            fault.drops -= 1
            lock.withLock { faults[path] = fault }
            drop = after
        }
        let cut = drop
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: body.count) { writer in
            if let cut {
                try await writer.write(ByteBuffer(bytes: body.prefix(cut)))
                throw HTTPError(.internalServerError, message: "connection dropped on purpose")
            }
            try await writer.write(ByteBuffer(bytes: body))
            try await writer.finish(nil)
        })
    }

    /// The threads the Hub's tasks run on.
    static let executor = QueueExecutor(label: "test-hub")

    private final class PortBox: @unchecked Sendable {
        private let lock = NSLock()
        private var ports = (0, 0)
        func set(hub: Int) { lock.withLock { ports.0 = hub } }
        func set(cdn: Int) { lock.withLock { ports.1 = cdn } }
        var hub: Int { lock.withLock { ports.0 } }
        var cdn: Int { lock.withLock { ports.1 } }
    }
}

/// A task executor on a concurrent dispatch queue, for tasks that must not wait for the
/// shared task threads.
final class QueueExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, attributes: .concurrent) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
