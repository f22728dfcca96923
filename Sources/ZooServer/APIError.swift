import Foundation
import Hummingbird
import Registry
import Runtime

/// An error answered to a client: its status and `{"error": {"message", "type", "param"}}`,
/// OpenAI's shape. `param` names the request field at fault.
public struct APIError: Error, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// What went wrong and what to do.
    public var message: String
    /// `invalid_request_error`, `not_found_error`, `authentication_error`, `rate_limit_error`,
    /// `request_too_large` or `server_error`.
    public var type: String
    /// The field at fault, when one is.
    public var param: String?
    /// Seconds to wait before retrying (429).
    public var retryAfter: Int?

    /// A 400 naming `param`.
    public static func invalid(_ message: String, param: String?) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param)
    }

    /// A 404 naming `param`.
    public static func notFound(_ message: String, param: String?) -> APIError {
        APIError(status: .notFound, message: message, type: "not_found_error", param: param)
    }

    /// The error a zoo failure becomes: 66 (unknown name or file) 404, a data or usage error 400,
    /// anything else 500.
    static func from(_ error: any ReportableError, param: String?) -> APIError {
        switch error.exitStatus {
        case .noInput: return .notFound(error.description, param: param)
        case .data, .usage: return .invalid(error.description, param: param)
        default: return APIError(status: .internalServerError, message: error.description, type: "server_error", param: nil)
        }
    }

    /// The JSON body.
    var body: Data {
        struct Body: Encodable {
            struct Inner: Encodable {
                var message: String
                var type: String
                var param: String?
                var code: Int

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(message, forKey: .message)
                    try container.encode(type, forKey: .type)
                    try container.encode(param, forKey: .param)
                    try container.encode(code, forKey: .code)
                }

                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            var error: Inner
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Body(error: .init(message: message, type: type, param: param, code: status.code)))) ?? Data()
    }
}
