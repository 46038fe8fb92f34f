import Foundation

/// A loopback TCP connection that sends bytes exactly as written, for requests URLSession would
/// normalise (`//v1/models`, HTTP/1.0, half-sent heads) and for watching when the server closes.
/// Reads block a thread of their own, never one of Swift concurrency's few (the server in this
/// process answers on those).
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError.socket(errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw RawHTTPError.socket(errno) }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawHTTPError.socket(errno) }
            sent += n
        }
    }

    /// Ends our side of the connection (FIN), as a client that closes normally does.
    func closeWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection, or nil if it is still open
    /// after `seconds` (an upper bound for a slow machine, not an ordering of events).
    func readUntilClosed(seconds: Double = 60) async -> Data? {
        await onOwnThread { self.blockingReadUntilClosed(seconds: seconds) }
    }

    private func blockingReadUntilClosed(seconds: Double) -> Data? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { return data }
            guard ready > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// Reads one response whose body has a Content-Length (keep-alive), or nil on timeout or close.
    func readResponse(seconds: Double = 60) async -> RawResponse? {
        await onOwnThread { self.blockingReadResponse(seconds: seconds) }
    }

    private func blockingReadResponse(seconds: Double) -> RawResponse? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let response = RawResponse(data), let length = response.headers["content-length"].flatMap(Int.init),
               response.body.count >= length {
                return response
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(remaining, 1) * 1000) + 1)
            guard ready > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
        }
    }
}

enum RawHTTPError: Error { case socket(Int32) }

/// A parsed HTTP response: status line, lower-cased headers, body bytes as sent.
struct RawResponse {
    let version: String
    let status: Int
    let headers: [String: String]
    let body: Data
    var text: String { String(decoding: body, as: UTF8.self) }

    init?(_ data: Data) {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        version = String(statusLine[0])
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        body = data[end.upperBound...]
    }
}

extension RawConnection {
    /// Sends one request with `Connection: close` and returns the whole response.
    static func exchange(port: Int, _ request: String, seconds: Double = 60) async throws -> RawResponse? {
        let connection = try RawConnection(port: port)
        try connection.send(request)
        return await connection.readUntilClosed(seconds: seconds).flatMap(RawResponse.init)
    }
}

/// Runs blocking work on a new thread and waits for it without holding a concurrency thread.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
