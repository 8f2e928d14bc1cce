import PinholeCore

/// Drives an Inspector like the NFLOG copies of one real control connection
/// would: a SYN/ACK, then lines in either direction with correct sequence
/// numbers, optionally split into several segments.
struct FTPConversation {
    let key: ConnectionKey
    var clientSeq: UInt32 = 1_000
    var serverSeq: UInt32 = 0xFFFF_FF00  // wraps around 2^32 within the first few hundred bytes
    var now = Instant(nanoseconds: 1_000_000_000)

    init(client: String = "198.51.100.2", clientPort: UInt16 = 40_000,
         server: String = "203.0.113.10", serverPort: UInt16 = 21) {
        key = ConnectionKey(client: IPAddress(client)!, clientPort: clientPort,
                            server: IPAddress(server)!, serverPort: serverPort)
    }

    func segment(fromClient: Bool, seq: UInt32, flags: TCPFlags = [.ack, .psh], _ bytes: [UInt8]) -> TCPSegment {
        fromClient
            ? TCPSegment(source: key.client, destination: key.server, sourcePort: key.clientPort,
                         destinationPort: key.serverPort, sequence: seq, flags: flags, payload: bytes)
            : TCPSegment(source: key.server, destination: key.client, sourcePort: key.serverPort,
                         destinationPort: key.clientPort, sequence: seq, flags: flags, payload: bytes)
    }

    /// An inspector running `policy` and a conversation past its handshake:
    /// how most inspector tests start.
    static func started(_ policy: Policy = TestPolicy.make()) -> (Inspector, FTPConversation) {
        var i = Inspector(policy: policy)
        var c = FTPConversation()
        _ = c.handshake(&i)
        return (i, c)
    }

    /// SYN/ACK from the server and the client's handshake ACK: a fresh session.
    mutating func handshake(_ i: inout Inspector) -> [InspectorEvent] {
        var ev = i.handle(segment: segment(fromClient: false, seq: serverSeq, flags: [.syn, .ack], []), now: now)
        serverSeq &+= 1
        ev += i.handle(segment: segment(fromClient: true, seq: clientSeq, flags: [.ack], []), now: now)
        return ev
    }

    /// Sends `text` from one side, cut into pieces at `cuts` (byte offsets).
    mutating func send(_ i: inout Inspector, fromClient: Bool, _ text: String, cuts: [Int] = []) -> [InspectorEvent] {
        let bytes = Array(text.utf8)
        var events: [InspectorEvent] = []
        var start = 0
        for end in (cuts.filter { $0 > 0 && $0 < bytes.count } + [bytes.count]) where end > start {
            let piece = Array(bytes[start..<end])
            let seq = (fromClient ? clientSeq : serverSeq) &+ UInt32(start)
            events += i.handle(segment: segment(fromClient: fromClient, seq: seq, piece), now: now)
            start = end
        }
        if fromClient { clientSeq &+= UInt32(bytes.count) } else { serverSeq &+= UInt32(bytes.count) }
        return events
    }

    mutating func client(_ i: inout Inspector, _ text: String, cuts: [Int] = []) -> [InspectorEvent] {
        send(&i, fromClient: true, text, cuts: cuts)
    }

    mutating func server(_ i: inout Inspector, _ text: String, cuts: [Int] = []) -> [InspectorEvent] {
        send(&i, fromClient: false, text, cuts: cuts)
    }

    mutating func fin(_ i: inout Inspector, fromClient: Bool) -> [InspectorEvent] {
        let seq = fromClient ? clientSeq : serverSeq
        return i.handle(segment: segment(fromClient: fromClient, seq: seq, flags: [.fin, .ack], []), now: now)
    }
}

extension InspectorEvent {
    var opened: Pinhole? {
        if case .pinholeOpened(let p) = self { return p }
        return nil
    }

    var closedReason: PinholeCloseReason? {
        if case .pinholeClosed(_, let r) = self { return r }
        return nil
    }

    var refusal: Refusal? {
        if case .refused(_, _, let r, _, _) = self { return r }
        return nil
    }
}

extension Array where Element == InspectorEvent {
    var opened: [Pinhole] { compactMap(\.opened) }
    var refusals: [Refusal] { compactMap(\.refusal) }
    var closeReasons: [PinholeCloseReason] { compactMap(\.closedReason) }
}

enum TestPolicy {
    static func make(passive: Bool = true, active: Bool = false, ports: PortRange = PortRange(lower: 50_000, upper: 50_100)!,
                     clients: [String] = [], perSession: Int = 4, sessions: Int = 100, pinholes: Int = 1000,
                     timeoutMs: UInt64 = 30_000) -> Policy {
        let svc = Service(name: "lab", servers: [IPPrefix("203.0.113.10")!, IPPrefix("2001:db8:2::10")!],
                          clients: clients.map { IPPrefix($0)! }, controlPort: 21, passive: passive, active: active,
                          dataPorts: ports, pinholeTimeoutMs: timeoutMs, enforce: true)
        return Policy(services: [svc], limits: Limits(pinholesPerSession: perSession, sessions: sessions, pinholes: pinholes))
    }
}
