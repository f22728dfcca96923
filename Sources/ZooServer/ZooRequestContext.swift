import Foundation
import Hummingbird
import NIOCore

/// The request context of `zoo serve`: Hummingbird's core context plus a probe of the client's
/// connection, so a batch queue can drop the work of a client that has gone away before it
/// spends a forward pass on it (Hummingbird does not cancel a handler when its client closes).
struct ZooRequestContext: RequestContext {
    typealias Source = ApplicationRequestContextSource

    var coreContext: CoreRequestContextStorage
    /// Whether the client's connection is still open.
    let clientConnected: ClientProbe

    init(source: Source) {
        self.coreContext = .init(source: source)
        self.clientConnected = ClientProbe(channel: source.channel)
    }
}

/// Asks whether a request's client is still there: its connection is open and it has not
/// closed its sending side. Hummingbird allows half-closed connections, so a client that hangs
/// up only shows as an end of input (seen by ``HangUpWatch``), not as a closed channel.
struct ClientProbe: Sendable {
    private let channel: (any Channel)?

    init(channel: (any Channel)?) { self.channel = channel }

    /// A probe that always answers `true` (requests that come from no connection).
    static let always = ClientProbe(channel: nil)

    /// `true` while the connection is open and its input has not ended.
    var isConnected: Bool {
        guard let channel else { return true }
        return channel.isActive && !HangUps.shared.contains(ObjectIdentifier(channel))
    }
}

/// The channels whose client has closed its side, until the channel closes.
final class HangUps: @unchecked Sendable {
    static let shared = HangUps()
    private let lock = NSLock()
    private var channels: Set<ObjectIdentifier> = []

    func insert(_ id: ObjectIdentifier) { lock.lock(); channels.insert(id); lock.unlock() }
    func remove(_ id: ObjectIdentifier) { lock.lock(); channels.remove(id); lock.unlock() }
    func contains(_ id: ObjectIdentifier) -> Bool { lock.lock(); defer { lock.unlock() }; return channels.contains(id) }
}

/// Added to each connection's pipeline by Hummingbird (after the HTTP codec); puts a
/// ``HangUpSpy`` at the front of the pipeline, where the end of input arrives before NIO's
/// HTTP pipelining handler holds it back until the response is written.
final class HangUpWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        try? context.pipeline.syncOperations.addHandler(HangUpSpy(), position: .first)
    }
}

/// Records in ``HangUps`` that a connection's input ended, and forgets it when it closes.
final class HangUpSpy: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { HangUps.shared.insert(ObjectIdentifier(context.channel)) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        HangUps.shared.remove(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }
}
