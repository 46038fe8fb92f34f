import Foundation
import Hummingbird

/// An error answered in OpenAI's shape, `{"error":{"message","type","param","code"}}`, with its
/// HTTP status.
public struct APIError: Error, Equatable, Sendable {
    public let status: Int
    public let message: String
    public let type: String
    public let param: String?
    public let code: String?
    /// The methods a path takes, for a 405's `Allow` header.
    public var allow: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// 400: a field has the wrong type or value.
    public static func invalid(_ param: String?, _ message: String, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: 404, message: "The model '\(model)' does not exist; GET /v1/models lists the served one.",
                 type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: 413, message: "Request body is larger than the \(limit)-byte limit.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    static let unauthorized = APIError(status: 401, message: "Missing or wrong API key: send 'Authorization: Bearer <key>'.",
                                       type: "invalid_request_error", code: "invalid_api_key")

    static func busy(waiting: Int) -> APIError {
        APIError(status: 429, message: "The server is busy: \(waiting) request\(waiting == 1 ? " is" : "s are") already waiting. Retry after a second.",
                 type: "rate_limit_error", code: "rate_limit_exceeded")
    }

    static func methodNotAllowed(_ method: String, path: String, allow: [String]) -> APIError {
        var error = APIError(status: 405, message: "\(method) is not allowed on '\(path)'; it takes \(allow.joined(separator: ", ")).",
                             type: "invalid_request_error", code: "method_not_allowed")
        error.allow = allow.joined(separator: ", ")
        return error
    }

    static let unsupportedMediaType = APIError(status: 415, message: "Send the body as JSON with 'Content-Type: application/json'.",
                                               type: "invalid_request_error", code: "unsupported_media_type")

    static let loading = APIError(status: 503, message: "The model is still loading; retry shortly.",
                                  type: "server_error", code: "model_loading")

    static func notFound(_ path: String) -> APIError {
        APIError(status: 404, message: "No route for '\(path)'.", type: "invalid_request_error", code: "not_found")
    }

    static func server(_ message: String) -> APIError {
        APIError(status: 500, message: message, type: "server_error")
    }

    /// The response that carries it (with `Retry-After` on a 429 and `Allow` on a 405).
    var response: Response {
        var r = json(body, status: status)
        if status == 429 { r.headers[.retryAfter] = "1" }
        if let allow { r.headers[.allow] = allow }
        return r
    }

    /// The JSON body.
    public var body: Data {
        var error: [String: Any] = ["message": message, "type": type]
        error["param"] = param ?? NSNull()
        error["code"] = code ?? NSNull()
        return (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
    }
}
