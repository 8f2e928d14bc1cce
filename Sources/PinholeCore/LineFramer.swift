/// One framed line of a control stream.
public enum FramedLine: Sendable, Equatable {
    /// A complete line, without its trailing CRLF.
    case line([UInt8])
    /// A complete line that ended in a bare LF, not CRLF (RFC 959 wants CRLF),
    /// without it. Where a peer splits such a line is its own business, so
    /// lines framed here may not be the lines it reads.
    case bareLF([UInt8])
    /// A line passed `maxLineLength`; emitted once, and the rest of that line is
    /// discarded up to the next LF.
    case overlong
}

/// Splits a reassembled byte stream into lines by stream offset, never by segment
/// boundary: the same bytes give the same lines however they were cut into pushes.
///
/// Memory stays bounded by `maxLineLength` even for a stream that never sends a newline.
public struct LineFramer: Sendable {
    private static let lineFeed: UInt8 = 0x0a
    private static let carriageReturn: UInt8 = 0x0d

    public let maxLineLength: Int
    private var buffer: [UInt8] = []
    /// True while skipping to the next LF: after an overlong line, or at an
    /// unsynchronized start.
    private var discarding: Bool

    /// synchronized=false: the stream was picked up mid-session; discard bytes up to and
    /// including the first "\n", trust from the next byte.
    public init(maxLineLength: Int = 512, synchronized: Bool = true) {
        self.maxLineLength = max(0, maxLineLength)
        discarding = !synchronized
    }

    /// The length limit counts the line's content, not its terminator: a line of exactly
    /// `maxLineLength` bytes plus CRLF is accepted.
    public mutating func push(_ bytes: [UInt8]) -> [FramedLine] {
        var lines: [FramedLine] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: Self.lineFeed)
            let chunk = rest[..<(newline ?? rest.endIndex)]
            rest = newline.map { rest[($0 + 1)...] } ?? []
            if !discarding {
                // Keep at most one byte beyond the limit: it may be the CR of a CRLF.
                let room = maxLineLength + 1 - buffer.count
                if chunk.count > room {
                    lines.append(.overlong)
                    buffer.removeAll(keepingCapacity: true)
                    discarding = true
                } else {
                    buffer += chunk
                }
            }
            guard newline != nil else { break }
            if discarding {
                discarding = false
                continue
            }
            let crlf = buffer.last == Self.carriageReturn
            if crlf { buffer.removeLast() }
            if buffer.count > maxLineLength {
                lines.append(.overlong)
            } else {
                lines.append(crlf ? .line(buffer) : .bareLF(buffer))
            }
            buffer.removeAll(keepingCapacity: true)
        }
        return lines
    }
}
