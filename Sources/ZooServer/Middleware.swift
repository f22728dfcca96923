import Foundation
import Hummingbird
import Registry

/// Counts every request by route and status and times it; the outermost middleware, so errors
/// answered by ``ErrorMiddleware`` are counted with their status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = Self.route(request.uri.path)
        let response = try await next(request, context)
        metrics.requests(route: route, status: response.status.code).increment()
        metrics.latency(route: route).record(ContinuousClock.now - started)
        return response
    }

    /// The route label: the known paths, or `other` (so clients cannot grow the label set).
    static func route(_ path: String) -> String {
        ["/v1/embeddings", "/v1/classify", "/v1/search", "/v1/models", "/health", "/metrics"].contains(path) ? path : "other"
    }
}

/// Answers every failure as JSON `{"error": {"message", "type", "param", "code"}}`: the API's
/// own errors, Hummingbird's (404 route, 413 body) and anything else as a 500 that names no
/// internals.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.response(error)
        } catch let error as any HTTPResponseError {
            // Hummingbird's own (HTTPError for routes, NIOTooManyBytesError for a body over the limit).
            switch error.status {
            case .contentTooLarge:
                return Self.response(APIError(status: .contentTooLarge, message: "the body is larger than the server takes (--max-body)", type: "request_too_large", param: nil))
            case .notFound:
                return Self.response(.notFound("no route \(request.method.rawValue) \(request.uri.path); see docs/API.md", param: nil))
            case .methodNotAllowed:
                return Self.response(APIError(status: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed on \(request.uri.path)", type: "invalid_request_error", param: nil))
            default:
                return Self.response(APIError(status: error.status, message: error.status.reasonPhrase, type: "invalid_request_error", param: nil))
            }
        } catch is CancellationError {
            return Self.response(APIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "cancelled", type: "cancelled", param: nil))
        } catch let error as any ReportableError {
            return Self.response(APIError.from(error, param: nil))
        } catch {
            return Self.response(APIError(status: .internalServerError, message: "internal error", type: "server_error", param: nil))
        }
    }

    static func response(_ error: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
    }
}

/// With an API key, every request needs `Authorization: Bearer <key>`; the comparison takes
/// the same time wherever the first difference is.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        let given = header.hasPrefix(prefix) ? Array(header.utf8.dropFirst(prefix.utf8.count)) : []
        guard Self.constantTimeEqual(given, key) else {
            throw APIError(status: .unauthorized, message: "missing or wrong API key; send 'Authorization: Bearer <key>'", type: "authentication_error", param: nil)
        }
        return try await next(request, context)
    }

    /// Equal lengths and bytes, in time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
