import Hummingbird

/// Keeps web pages from driving the server: a request whose `Host` is a name other than
/// `localhost` or an allowed host is refused (DNS rebinding: a page on `evil.example` whose name
/// now resolves to 127.0.0.1), and so is a request from a browser `Origin` that is neither the
/// server itself nor one allowed for CORS (cross-site requests). IP addresses are always accepted
/// as hosts: a page can only be on one by being served from it.
struct SameOriginMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let allowedHosts: Set<String>
    let allowedOrigins: Set<String>

    init(allowedHosts: [String], corsOrigins: [String]) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        allowedOrigins = Set(corsOrigins.map { $0.lowercased() })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? ""
        let host = Self.hostName(authority)
        guard host.isEmpty || Self.isIPAddress(host) || host == "localhost" || host.hasSuffix(".localhost")
                || allowedHosts.contains(host) || allowedHosts.contains("*") else {
            throw APIError(status: 403, message: "Host '\(host)' is not served here; start the server with --allowed-host \(host) to accept it.",
                           type: "invalid_request_error", code: "host_not_allowed")
        }
        if let origin = request.headers[.origin]?.lowercased(),
           origin != "http://" + authority.lowercased() && origin != "https://" + authority.lowercased()
            && !allowedOrigins.contains(origin) && !allowedOrigins.contains("*") {
            throw APIError(status: 403, message: "Requests from the web origin '\(origin)' are refused; start the server with --cors-origin \(origin) to allow them.",
                           type: "invalid_request_error", code: "origin_not_allowed")
        }
        return try await next(request, context)
    }

    /// `[::1]:8080` → `::1`, `Example.COM:80` → `example.com`.
    static func hostName(_ authority: String) -> String {
        let lower = authority.lowercased()
        if lower.hasPrefix("["), let close = lower.firstIndex(of: "]") {
            return String(lower[lower.index(after: lower.startIndex)..<close])
        }
        return String(lower.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in UInt8(part) != nil }
    }
}
