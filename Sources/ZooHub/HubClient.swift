import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// What the Hub says about a revision: its commit and the model card's licence.
public struct HubRevision: Sendable, Equatable {
    public let commit: String
    public let license: String?
}

/// Told how a download goes, for a progress display.
public protocol HubDownloadObserver: Sendable {
    /// The files about to be fetched and their total size.
    func willDownload(_ files: [HubFile], bytes: Int64)
    /// `file` has `done` of its bytes on disk (a resumed file starts above 0).
    func progress(_ file: HubFile, done: Int64)
    /// `file` is verified and in the cache.
    func didDownload(_ file: HubFile)
}

/// A client of the Hugging Face Hub's HTTP API, as `huggingface_hub` uses it: the revision and
/// tree endpoints for the commit and its files, `resolve/COMMIT/PATH` for contents.
///
/// Every request is retried on a 5xx answer, a 429 (after its `Retry-After`) or a dropped
/// connection, waiting ``HubEnvironment/backoff`` doubled on each try up to
/// ``HubEnvironment/maxBackoff``. Redirects are followed by hand (up to 10), and the token is
/// sent only to the endpoint's own host, never to the storage host a file redirects to.
public final class HubClient: Sendable {
    public let environment: HubEnvironment
    private let http: HTTPClient
    private let endpointHost: String?

    public init(environment: HubEnvironment) {
        self.environment = environment
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(15), read: .seconds(60)))
        configuration.decompression = .disabled
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.endpointHost = URL(string: environment.endpoint)?.host
    }

    /// Closes the connections; call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: API

    /// The commit `reference`'s revision points to, and the licence in its model card.
    ///
    /// - Throws: ``HubError``: 66 for an unknown repository or revision, 69 for no access or
    ///   no answer.
    public func revision(_ reference: HubReference) async throws -> HubRevision {
        let url = "\(environment.endpoint)/api/models/\(reference.repository)/revision/\(Self.escape(reference.revision))"
        let body = try await fetchJSON(url, reference: reference, what: .revision)
        guard let object = body as? [String: Any], let commit = object["sha"] as? String, HubReference.isCommit(commit) else {
            throw HubError(.data, "the Hub at \(environment.endpoint) answered \(reference) without a commit id ('sha'); is HF_ENDPOINT a Hugging Face Hub?")
        }
        let card = object["cardData"] as? [String: Any]
        let license = (card?["license"] as? String) ?? (card?["license"] as? [String])?.joined(separator: ", ")
        return HubRevision(commit: commit, license: license)
    }

    /// Every file of `reference` at `commit`, with sizes and hashes (the tree listing, all
    /// pages).
    public func files(_ reference: HubReference, commit: String) async throws -> [HubFile] {
        var next: String? = "\(environment.endpoint)/api/models/\(reference.repository)/tree/\(commit)?recursive=true"
        var files: [HubFile] = []
        var pages = 0
        while let url = next, pages < 1000 {
            pages += 1
            let (status, headers, data) = try await fetch(url, reference: reference, what: .revision)
            guard status == 200 else { throw error(status: status, headers: headers, reference: reference, what: .revision) }
            guard let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
                throw HubError(.data, "the Hub's file list of \(reference) at \(commit) is not a JSON array; is HF_ENDPOINT a Hugging Face Hub?")
            }
            for entry in entries where (entry["type"] as? String) == "file" {
                guard let path = entry["path"] as? String, let size = (entry["size"] as? NSNumber)?.int64Value, size >= 0,
                      let oid = entry["oid"] as? String, Self.isHex(oid, count: 40) else {
                    throw HubError(.data, "the Hub's file list of \(reference) has an entry without path, size or oid: \(entry)")
                }
                var sha256: String?
                if let lfs = entry["lfs"] as? [String: Any] {
                    guard let lfsOID = lfs["oid"] as? String, Self.isHex(lfsOID, count: 64) else {
                        throw HubError(.data, "the Hub's file list of \(reference) gives '\(path)' an LFS entry without a sha256 oid")
                    }
                    sha256 = lfsOID
                }
                files.append(HubFile(path: path, size: size, gitOID: oid, lfsSHA256: sha256))
            }
            next = Self.nextPage(headers, relativeTo: url)
        }
        return files
    }

    // MARK: Downloads

    /// Fetches `file` of `reference` at `commit` into `cache` (`blobs/ETAG`, linked from the
    /// snapshot), resuming a `.incomplete` download with a Range request, and checks its size
    /// and hash (sha256 for LFS files, the git blob id otherwise) before it enters the cache.
    ///
    /// - Throws: ``HubError``: 65 when the bytes do not match after every try, 66 when the file
    ///   is missing, 69 for no access or no answer, 74 when the cache cannot be written.
    public func download(
        _ file: HubFile, of reference: HubReference, commit: String, into cache: HubCache, observer: (any HubDownloadObserver)?
    ) async throws {
        guard HubFileSelection.isSafe(file.path) else {
            throw HubError(.data, "the Hub lists a file with an unsafe path '\(file.path)' in \(reference); refusing it")
        }
        let partial = cache.partial(file.etag)
        do { try FileManager.default.createDirectory(at: partial.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw HubError(.io, "cannot create '\(partial.deletingLastPathComponent().path)' (\(error.localizedDescription)); check that the cache folder is writable or set HF_HUB_CACHE")
        }
        let url = "\(environment.endpoint)/\(reference.repository)/resolve/\(commit)/\(file.path.split(separator: "/").map { Self.escape(String($0)) }.joined(separator: "/"))"
        var attempt = 0
        var corrupt = 0
        while true {
            var offset = Self.size(of: partial)
            if offset > file.size { truncate(partial.path, 0); offset = 0 }
            if offset < file.size {
                do {
                    try await fetchBody(url, into: partial, from: offset, file: file, reference: reference, observer: observer)
                } catch let failure as Retryable {
                    attempt += 1
                    guard attempt < environment.attempts else { throw failure.error(after: attempt, what: "'\(file.path)' of \(reference)") }
                    try await Task.sleep(for: .seconds(wait(attempt: attempt, retryAfter: failure.retryAfter)))
                    continue
                }
            }
            // Complete: check it, or start again from nothing.
            if Self.size(of: partial) == file.size, try Self.matches(partial, file) {
                try cache.commitBlob(from: partial, etag: file.etag, commit: commit, path: file.path)
                observer?.didDownload(file)
                return
            }
            unlink(partial.path)
            corrupt += 1
            guard corrupt < 2 else {
                throw HubError(.data, "'\(file.path)' of \(reference) at \(commit) downloaded twice with the wrong size or \(file.lfsSHA256 == nil ? "git blob id" : "sha256") (expected \(file.size) bytes, \(file.etag)); nothing was stored. Try again, or check HF_ENDPOINT")
            }
        }
    }

    /// One GET of `url` from byte `offset`, appended to `partial`.
    private func fetchBody(
        _ url: String, into partial: URL, from offset: Int64, file: HubFile, reference: HubReference, observer: (any HubDownloadObserver)?
    ) async throws {
        var headers = HTTPHeaders()
        if offset > 0 { headers.add(name: "Range", value: "bytes=\(offset)-") }
        let response = try await send(url, headers: headers)
        var start = offset
        switch response.status.code {
        case 200:
            start = 0
        case 206:
            let range = response.headers.first(name: "Content-Range") ?? ""
            guard range.hasPrefix("bytes \(offset)-") else {
                truncate(partial.path, 0)
                throw Retryable(reason: "a partial answer for the wrong range (\(range))", retryAfter: nil)
            }
        case 416:
            truncate(partial.path, 0)
            throw Retryable(reason: "416 for a resumed download", retryAfter: nil)
        default:
            _ = try? await response.body.collect(upTo: 1 << 16)
            throw error(status: Int(response.status.code), headers: response.headers, reference: reference, what: .file(file.path))
        }
        let descriptor = open(partial.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw HubCache.ioError("write", partial.path) }
        defer { close(descriptor) }
        if start == 0 { ftruncate(descriptor, 0) }
        lseek(descriptor, off_t(start), SEEK_SET)
        var done = start
        observer?.progress(file, done: done)
        do {
            for try await buffer in response.body {
                let wrote = buffer.withUnsafeReadableBytes { bytes -> Bool in
                    var sent = 0
                    while sent < bytes.count {
                        let n = write(descriptor, bytes.baseAddress! + sent, bytes.count - sent)
                        if n <= 0 { return false }
                        sent += n
                    }
                    return true
                }
                guard wrote else { throw HubCache.ioError("write", partial.path) }
                done += Int64(buffer.readableBytes)
                guard done <= file.size else {
                    throw Retryable(reason: "more bytes than the listed \(file.size)", retryAfter: nil)
                }
                observer?.progress(file, done: done)
            }
        } catch let error as HubError {
            throw error
        } catch let error as Retryable {
            throw error
        } catch {
            throw Retryable(reason: "the connection dropped at byte \(done) (\(error))", retryAfter: nil)
        }
    }

    // MARK: Requests

    private enum Subject { case revision, file(String) }

    /// GET `url` and read a JSON answer, with retries.
    private func fetchJSON(_ url: String, reference: HubReference, what: Subject) async throws -> Any {
        let (status, headers, data) = try await fetch(url, reference: reference, what: what)
        guard status == 200 else { throw error(status: status, headers: headers, reference: reference, what: what) }
        guard let body = try? JSONSerialization.jsonObject(with: data) else {
            throw HubError(.data, "the Hub at \(environment.endpoint) answered \(url) with something that is not JSON; is HF_ENDPOINT a Hugging Face Hub?")
        }
        return body
    }

    /// GET `url` into memory (at most 64 MiB), retrying 5xx, 429 and dropped connections.
    private func fetch(_ url: String, reference: HubReference, what: Subject) async throws -> (Int, HTTPHeaders, Data) {
        var attempt = 0
        while true {
            do {
                let response = try await send(url, headers: [:])
                let code = Int(response.status.code)
                if code == 429 || code >= 500 {
                    throw Retryable(reason: "HTTP \(code)", retryAfter: Self.retryAfter(response.headers))
                }
                do {
                    let buffer = try await response.body.collect(upTo: 64 << 20)
                    return (code, response.headers, Data(buffer.readableBytesView))
                } catch let error as NIOTooManyBytesError {
                    throw HubError(.data, "the Hub's answer to \(url) is larger than 64 MiB (\(error)); is HF_ENDPOINT a Hugging Face Hub?")
                } catch {
                    throw Retryable(reason: "the connection dropped (\(error))", retryAfter: nil)
                }
            } catch let failure as Retryable {
                attempt += 1
                guard attempt < environment.attempts else { throw failure.error(after: attempt, what: "\(reference)") }
                try await Task.sleep(for: .seconds(wait(attempt: attempt, retryAfter: failure.retryAfter)))
            }
        }
    }

    /// One GET, following redirects; the token goes only to the endpoint's host. A 429 or 5xx
    /// answer of a download is returned as `Retryable`.
    private func send(_ start: String, headers: HTTPHeaders) async throws -> HTTPClientResponse {
        var url = start
        for _ in 0..<10 {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers = headers
            request.headers.replaceOrAdd(name: "User-Agent", value: "zoo/1 (huggingface_hub-compatible)")
            if let token = environment.token, URL(string: url)?.host == endpointHost {
                request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: .hours(24))
            } catch let error as HubError {
                throw error
            } catch {
                throw Retryable(reason: "no answer from \(URL(string: url)?.host ?? url) (\(error))", retryAfter: nil)
            }
            let code = Int(response.status.code)
            if [301, 302, 303, 307, 308].contains(code) {
                guard let location = response.headers.first(name: "Location"), let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL,
                      ["http", "https"].contains(next.scheme ?? "") else {
                    throw HubError(.unavailable, "the Hub redirected \(url) without a usable Location; try again later")
                }
                _ = try? await response.body.collect(upTo: 1 << 20)
                url = next.absoluteString
                continue
            }
            if code == 429 || code >= 500 {
                _ = try? await response.body.collect(upTo: 1 << 20)
                throw Retryable(reason: "HTTP \(code)", retryAfter: Self.retryAfter(response.headers))
            }
            return response
        }
        throw HubError(.unavailable, "more than 10 redirects from \(start); is HF_ENDPOINT a Hugging Face Hub?")
    }

    /// Seconds before try `attempt + 1`: the server's `Retry-After` when it gave one, else the
    /// doubling backoff with up to 20% jitter; capped at ``HubEnvironment/maxBackoff``.
    private func wait(attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), environment.maxBackoff) }
        let base = environment.backoff * pow(2, Double(attempt - 1))
        return min(base * Double.random(in: 1...1.2), environment.maxBackoff)
    }

    /// The error for a final HTTP status.
    private func error(status: Int, headers: HTTPHeaders, reference: HubReference, what: Subject) -> HubError {
        let code = headers.first(name: "X-Error-Code") ?? ""
        let serverMessage = headers.first(name: "X-Error-Message").map { " (the Hub says: \($0))" } ?? ""
        let page = "\(environment.endpoint)/\(reference.repository)"
        switch status {
        case 401, 403:
            let login = environment.token == nil
                ? "set HF_TOKEN to a token from \(environment.endpoint)/settings/tokens (or run `huggingface-cli login`)"
                : "the token zoo sent (HF_TOKEN or the token file) has no access: check it, or use one of an account that has"
            let gated = code == "GatedRepo" || status == 403
                ? "\(reference.repository) is gated: accept its conditions at \(page), then \(login)"
                : "\(reference.repository) is private or gated (or does not exist): \(login); for a gated model accept its conditions at \(page)"
            return HubError(.unavailable, "HTTP \(status) for \(reference): \(gated)\(serverMessage)")
        case 404:
            switch (code, what) {
            case ("RevisionNotFound", _):
                return HubError(.noInput, "\(reference.repository) has no revision '\(reference.revision)'; give a branch, tag or commit that \(page)/tree shows\(serverMessage)")
            case ("EntryNotFound", .file(let path)), ("", .file(let path)):
                return HubError(.noInput, "\(reference.repository) at \(reference.revision) has no file '\(path)'\(serverMessage)")
            case ("RepoNotFound", _):
                return HubError(.noInput, "no repository \(reference.repository) on \(environment.endpoint) (or it is private: set HF_TOKEN); check the id at \(page)\(serverMessage)")
            default:
                return HubError(.noInput, "\(environment.endpoint) has no repository \(reference.repository) or no revision '\(reference.revision)' of it (HTTP 404); check both at \(page)\(serverMessage)")
            }
        default:
            return HubError(.unavailable, "the Hub answered HTTP \(status) for \(reference)\(serverMessage); try again later")
        }
    }

    // MARK: Helpers

    /// A failure worth another try.
    struct Retryable: Error {
        let reason: String
        let retryAfter: Double?

        func error(after attempts: Int, what: String) -> HubError {
            HubError(.unavailable, "gave up on \(what) after \(attempts) tries: \(reason); check the network or HF_ENDPOINT, raise ZOO_HUB_RETRIES, and run the command again (a download resumes where it stopped)")
        }
    }

    static func retryAfter(_ headers: HTTPHeaders) -> Double? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// The `rel="next"` target of a `Link` header.
    static func nextPage(_ headers: HTTPHeaders, relativeTo url: String) -> String? {
        for link in headers[canonicalForm: "Link"] where link.contains("rel=\"next\"") {
            guard let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close else { continue }
            let target = String(link[link.index(after: open)..<close])
            return URL(string: target, relativeTo: URL(string: url))?.absoluteURL.absoluteString
        }
        return nil
    }

    /// Percent-escapes a path segment (a revision like `refs/pr/1` becomes one segment).
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func size(of url: URL) -> Int64 {
        var info = stat()
        return stat(url.path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Whether the file at `url` has `file`'s sha256 (LFS) or git blob id.
    static func matches(_ url: URL, _ file: HubFile) throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw HubCache.ioError("read", url.path) }
        defer { try? handle.close() }
        if let expected = file.lfsSHA256 {
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined() == expected
        }
        var hasher = Insecure.SHA1()
        hasher.update(data: Data("blob \(file.size)\u{0}".utf8))
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined() == file.gitOID
    }
}
