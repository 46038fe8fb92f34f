import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// What Hummingbird's HTTP/1 channel does not do for a connection: close a request head that
/// trickles in (slowloris) with 408, close the connection when the client closes its side while
/// waiting for a response (so the request is cancelled and its slots freed), and keep HTTP/1.0
/// clients in HTTP/1.0: the response says `HTTP/1.0`, is never chunked, and the connection closes
/// after it unless the client asked for keep-alive.
///
/// It sits between NIO's HTTP/1 decoder and the conversion to HTTP types, where the request's
/// version and keep-alive are still known. `RequestBytesSignal`, first in the pipeline, tells it
/// when a request's first bytes arrive.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let headerTimeout: TimeAmount
    private var headerTimer: Scheduled<Void>?
    /// Version and keep-alive of each request whose response has not ended, oldest first.
    private var inFlight: [(version: HTTPVersion, keepAlive: Bool)] = []

    init(headerTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            headerTimer?.cancel()
            headerTimer = nil
            inFlight.append((head.version, head.isKeepAlive))
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is RequestBytesSignal.Arrived:
            // The first bytes of a head: it must be complete within the header timeout.
            if inFlight.isEmpty && headerTimer == nil {
                headerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { [self] in
                    headerTimer = nil
                    guard inFlight.isEmpty else { return }
                    let head = HTTPResponseHead(version: .http1_1, status: .requestTimeout,
                                                headers: ["connection": "close", "content-length": "0"])
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    context.close(promise: nil)
                }
            }
            return
        case ChannelEvent.inputClosed where !inFlight.isEmpty:
            // The client closed its side while waiting: nobody will read the response.
            context.close(promise: nil)
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let request = inFlight.first else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(var head) where request.version == .http1_0:
            head.version = .http1_0
            head.headers.remove(name: "transfer-encoding")
            head.headers.replaceOrAdd(name: "connection", value: request.keepAlive ? "keep-alive" : "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            inFlight.removeFirst()
            if request.keepAlive {
                context.write(data, promise: promise)
            } else {
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerTimer?.cancel()
        headerTimer = nil
    }
}

/// First in the pipeline: announces every read of request bytes to `ConnectionGuard`, which
/// cannot see bytes that have not yet made a whole head.
final class RequestBytesSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    struct Arrived {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(Arrived())
        context.fireChannelRead(data)
    }
}

/// Hummingbird's HTTP/1 channel (with its idle timeout) plus `RequestBytesSignal` and
/// `ConnectionGuard`.
struct GuardedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let headerTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RequestBytesSignal(), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let headerTimeout = headerTimeout
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionGuard(headerTimeout: headerTimeout), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with an idle timeout (Hummingbird's), a header timeout and `ConnectionGuard`.
    static func guardedHTTP1(idleTimeout: Double, headerTimeout: Double) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTP1Channel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .nanoseconds(Int64(idleTimeout * 1e9)))),
                headerTimeout: .nanoseconds(Int64(headerTimeout * 1e9)))
        }
    }
}
