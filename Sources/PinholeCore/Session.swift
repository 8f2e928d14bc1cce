/// One FTP control connection and what it has negotiated so far.
struct Session: Sendable {
    /// A command still waiting for its final reply. Replies come in command
    /// order, so the front of the queue is what the next final reply answers.
    enum Request: Sendable, Equatable {
        case pasv, epsv
        /// PORT/EPRT, with the pinhole opened for it (nil if refused).
        case port(PinholeKey?)
        /// A transfer command, with the active pinhole it was to use (nil: none).
        case transfer(PinholeKey?)
        case other
    }

    let key: ConnectionKey
    var service: String
    var client: StreamReader
    var server: StreamReader
    var replies = FTPReplyReader()
    var outstanding: [Request] = []
    /// The pinhole the last PORT/EPRT opened, until a transfer command takes
    /// it: if the server refuses that command (4xx/5xx), it never connects.
    var armedActive: PinholeKey?
    /// Pinholes this session holds, oldest first.
    var pinholes: [PinholeKey] = []
    var refusalsSeen: Set<Refusal> = []
    /// Why the session opens nothing more, once it sent a line we cannot
    /// frame as its peer does (overlong, or a client line ending in a bare LF).
    var suspect: Refusal?
    /// Picked up mid-session (daemon restart, resync): untrusted until the next line start.
    let midstream: Bool
    /// Opened from a copied SYN/ACK before conntrack's NEW for it arrived.
    /// Until then, a closing event for this tuple belongs to an earlier
    /// connection that used the same ports (conntrack reports in order:
    /// the old entry's end, then the new entry's NEW) and must not close us.
    var awaitingConntrackNew = false
    /// The server's initial sequence number, from its SYN/ACK: another SYN/ACK
    /// with a different one is a new connection on the same ports; the same
    /// one is a retransmission.
    var serverISN: UInt32?
    /// Neither side has sent a byte yet: a handshake, perhaps a half-open one
    /// of a SYN flood. False for a connection picked up established (restart,
    /// resync). See `isEvictable`.
    var quiet: Bool
    /// Tells this session from another on the same tuple, opened before or after it.
    let serial: UInt64

    init(key: ConnectionKey, service: String, midstream: Bool, quiet: Bool, serial: UInt64) {
        self.key = key
        self.service = service
        self.midstream = midstream
        self.quiet = quiet
        self.serial = serial
        client = StreamReader(synchronized: !midstream)
        server = StreamReader(synchronized: !midstream)
    }

    /// The connection's SYN/ACK: both streams start here, in step, and
    /// nothing read before it (on this tuple) is waiting for a reply.
    mutating func startStreams(serverISN isn: UInt32) {
        serverISN = isn
        client = StreamReader(synchronized: true)
        server = StreamReader(synchronized: true)
        replies = FTPReplyReader()
        outstanding = []
        armedActive = nil
    }

    /// Holds nothing a close would lose (no byte read, no pinhole): what a
    /// full session table gives up first (QuietSessions).
    var isEvictable: Bool { quiet && pinholes.isEmpty }

    /// Outstanding requests are bounded: a client pipelining thousands of
    /// commands must not grow memory; losing track only makes us stricter.
    static let maxOutstanding = 32

    mutating func enqueue(_ r: Request) {
        if outstanding.count >= Session.maxOutstanding { outstanding.removeFirst() }
        outstanding.append(r)
    }

    mutating func dequeue() -> Request? {
        outstanding.isEmpty ? nil : outstanding.removeFirst()
    }
}
