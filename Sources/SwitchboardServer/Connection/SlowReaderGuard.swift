import NIOCore

/// Closes a connection whose peer stopped reading.
///
/// When the socket's send buffer stays above the high-water mark (the channel
/// is not writable) for `timeout`, the client is not consuming answers; rather
/// than let its queue grow in server memory, the connection is closed.
final class SlowReaderGuard: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    let timeout: TimeAmount
    private var pending: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            pending?.cancel()
            pending = nil
        } else if pending == nil {
            let channel = context.channel
            pending = context.eventLoop.scheduleTask(in: timeout) {
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.cancel()
        pending = nil
        context.fireChannelInactive()
    }
}
