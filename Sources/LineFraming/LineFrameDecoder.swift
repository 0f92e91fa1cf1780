import NIOCore

/// One received line, or the marker for a line that was too long.
public enum Frame: Sendable {
    /// The line's bytes without `\n` (a trailing `\r` is left for the JSON
    /// parser, which treats it as whitespace).
    case line(ByteBuffer)
    /// A line longer than the limit: its bytes were dropped up to the next `\n`.
    case oversized
}

/// Splits the byte stream on `\n`, with a hard cap on line length.
///
/// NIO-extras' `LineBasedFrameDecoder` has no cap, and an unbounded line is the
/// first thing an attacker sends. On overflow this decoder reports the line as
/// `.oversized` once, discards bytes up to the next newline and re-synchronises,
/// so the connection stays usable (as aiorpcX's framer does).
///
/// It emits every complete line already received as one batch, so pipelined
/// requests are processed together and their answers leave in one write.
public final class LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = [Frame]

    public let maxLineBytes: Int
    /// Within the current line: bytes already scanned without finding `\n`.
    private var scanned = 0
    /// Dropping the rest of an oversized line.
    private var discarding = false

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var frames: [Frame] = []
        while true {
            let view = buffer.readableBytesView
            let searchStart = view.startIndex + scanned
            if let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - view.startIndex
                scanned = 0
                if discarding {
                    discarding = false
                    buffer.moveReaderIndex(forwardBy: length + 1)
                } else if length > maxLineBytes {
                    frames.append(.oversized)
                    buffer.moveReaderIndex(forwardBy: length + 1)
                } else {
                    frames.append(.line(buffer.readSlice(length: length)!))
                    buffer.moveReaderIndex(forwardBy: 1)
                }
                continue
            }
            if discarding {
                buffer.moveReaderIndex(forwardBy: view.count)
                scanned = 0
            } else if view.count > maxLineBytes {
                frames.append(.oversized)
                discarding = true
                buffer.moveReaderIndex(forwardBy: view.count)
                scanned = 0
            } else {
                scanned = view.count
            }
            break
        }
        if !frames.isEmpty { context.fireChannelRead(wrapInboundOut(frames)) }
        return .needMoreData
    }

    /// At end of input a final line without `\n` is still processed (e.g.
    /// `printf '{…}' | nc -N`); its answer is written if the peer still reads.
    public func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        if !discarding, buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut([.line(rest)]))
        }
        buffer.clear()
        scanned = 0
        discarding = false
        return .needMoreData
    }
}
