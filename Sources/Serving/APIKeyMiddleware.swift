import Hummingbird

/// Requires `Authorization: Bearer <key>` on the routes of the group it guards. Guarding the
/// group, not a path prefix, means every spelling the router accepts (`//v1/models`) is guarded.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let expected: [UInt8]

    init(key: String) {
        expected = Array("Bearer \(key)".utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.constantTimeEqual(Array((request.headers[.authorization] ?? "").utf8), expected) else {
            throw APIError.unauthorized
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so the time taken says nothing about the key.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
