import Hummingbird

/// Answers every error in OpenAI's shape: the API's own errors as they are, the router's
/// (no such route) and anything unexpected mapped to their status.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch is ClientGone {
            return APIError.invalid(nil, "The request body ended before its Content-Length; the connection was closed.").response
        } catch let error as HTTPError {
            switch error.status.code {
            case 404: return APIError.notFound(request.uri.path).response
            default: return APIError(status: error.status.code, message: error.body ?? "\(error.status)",
                                     type: error.status.code < 500 ? "invalid_request_error" : "server_error").response
            }
        } catch {
            return APIError.server("Internal error: \(error)").response
        }
    }
}
