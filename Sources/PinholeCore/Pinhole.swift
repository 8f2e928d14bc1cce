/// The control connection of an FTP session, as the client opened it.
public struct ConnectionKey: Hashable, Sendable, CustomStringConvertible {
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16

    public init(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
    }

    public var family: IPFamily { client.family }

    /// `198.51.100.2:40000->203.0.113.10:21`, `[2001:db8::2]:40000->[2001:db8:2::10]:21`
    public var description: String {
        func ep(_ a: IPAddress, _ p: UInt16) -> String { a.family == .ipv6 ? "[\(a)]:\(p)" : "\(a):\(p)" }
        return "\(ep(client, clientPort))->\(ep(server, serverPort))"
    }
}

public enum PinholeMode: String, Sendable, Hashable, Codable {
    /// PASV/EPSV: the client connects to the server.
    case passive
    /// PORT/EPRT: the server connects to the client.
    case active
}

/// One set element: `INITIATOR . RESPONDER . PORT`.
public struct PinholeKey: Hashable, Sendable, CustomStringConvertible {
    public var initiator: IPAddress
    public var responder: IPAddress
    public var port: UInt16

    public init(initiator: IPAddress, responder: IPAddress, port: UInt16) {
        self.initiator = initiator
        self.responder = responder
        self.port = port
    }

    public var family: IPFamily { initiator.family }

    /// The set element key as the kernel stores it: each field padded to 4
    /// bytes, port big-endian (12 bytes for IPv4, 36 for IPv6).
    public var elementKey: [UInt8] {
        initiator.bytes + responder.bytes + [UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
    }

    /// Inverse of `elementKey`; nil for a key of the wrong size.
    public init?(elementKey k: [UInt8]) {
        let n: Int
        switch k.count {
        case 12: n = 4
        case 36: n = 16
        default: return nil
        }
        guard let i = IPAddress(bytes: k[0..<n]), let r = IPAddress(bytes: k[n..<(2 * n)]) else { return nil }
        self.init(initiator: i, responder: r, port: UInt16(k[2 * n]) << 8 | UInt16(k[2 * n + 1]))
    }

    /// nft syntax: `198.51.100.2 . 203.0.113.10 . 50000`
    public var description: String { "\(initiator) . \(responder) . \(port)" }
}

/// A pinhole pinholed opened, with everything `pinholectl list` shows.
public struct Pinhole: Hashable, Sendable {
    public var key: PinholeKey
    public var service: String
    public var mode: PinholeMode
    public var session: ConnectionKey
    /// Monotonic time it was opened and when it expires unused.
    public var created: Instant
    public var expires: Instant

    public init(key: PinholeKey, service: String, mode: PinholeMode, session: ConnectionKey,
                created: Instant, expires: Instant) {
        self.key = key
        self.service = service
        self.mode = mode
        self.session = session
        self.created = created
        self.expires = expires
    }
}

/// Monotonic time in nanoseconds. The core never reads a clock; callers pass
/// `now` in, so tests drive time by hand.
public struct Instant: Hashable, Sendable, Comparable {
    public var nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    public func adding(milliseconds ms: UInt64) -> Instant { Instant(nanoseconds: nanoseconds &+ ms &* 1_000_000) }
    /// Milliseconds from `self` until `later`, 0 when `later` is not later.
    public func milliseconds(until later: Instant) -> UInt64 {
        later.nanoseconds > nanoseconds ? (later.nanoseconds - nanoseconds) / 1_000_000 : 0
    }
}
