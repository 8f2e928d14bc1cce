/// Runs one fuzz input as a program against a fresh inspector: segments in
/// both directions (in order, overlapping, out of order, far off), conntrack
/// events, time, flush, reload, resync and adopt. After every step the
/// invariants are checked.
///
/// Input layout: one byte picks the policy, then operations until the input
/// ends; each starts with an opcode byte and reads what it needs.
struct InspectorProgram {
    static let maxOperations = 2_000

    private var input: FuzzReader
    private var inspector: Inspector
    private var mirror = EventMirror()
    private var now = Instant(nanoseconds: 1_000_000_000)
    /// Per connection and direction: bytes the sender has sent in order so far.
    private var sent: [[UInt32]]

    init(_ input: FuzzReader) {
        self.input = input
        inspector = Inspector(policy: self.input.pick(FuzzWorld.policies))
        sent = Array(repeating: [0, 0], count: FuzzWorld.connections.count)
    }

    mutating func run() {
        var steps = 0
        while !input.isAtEnd, steps < Self.maxOperations {
            steps += 1
            let events = step(input.byte())
            mirror.apply(events)
            mirror.check(against: inspector)
            InspectorInvariants.check(inspector)
        }
    }

    private mutating func step(_ opcode: UInt8) -> [InspectorEvent] {
        switch opcode % 16 {
        case 0..<8: return segment()
        case 8, 9: return conntrack()
        case 10, 11: return advanceTime()
        case 12: return inspector.markUsed(pinholeKey())
        case 13: return inspector.flush(service: input.pick([nil, "ftp4", "ftp6", "alt", "none"]))
        case 14: return inspector.reload(policy: input.pick(FuzzWorld.policies))
        default: return input.byte() & 1 == 0 ? resync() : adopt()
        }
    }

    // MARK: segments

    private mutating func segment() -> [InspectorEvent] {
        let control = input.byte()
        let index = Int(control & 7) % FuzzWorld.connections.count
        let c = FuzzWorld.connections[index]
        let fromServer = control & 8 != 0
        let direction = fromServer ? 1 : 0
        let isn = fromServer ? c.serverISN : c.clientISN
        var flags: TCPFlags
        switch control >> 6 {
        case 0: flags = [.ack, .psh]
        case 1: flags = TCPFlags(rawValue: input.byte() & 0x1f)
        case 2: flags = fromServer ? [.syn, .ack] : [.syn]
        default: flags = [.fin, .ack]
        }
        let payload = self.payload(connection: c, fromServer: fromServer)
        let cursor = sent[index][direction]
        var sequence: UInt32
        switch (control >> 4) & 3 {
        case 0: sequence = isn &+ 1 &+ cursor
        case 1: sequence = isn &+ 1 &+ cursor &+ UInt32(bitPattern: Int32(Int8(bitPattern: input.byte())))
        case 2: sequence = isn &+ 1 &+ cursor &+ UInt32(bitPattern: Int32(Int16(bitPattern: input.u16())))
        default: sequence = input.u32()
        }
        if flags.contains(.syn) { sequence = isn }
        // The sender's in-order position moves on if this segment reached past it.
        let end = sequence &+ UInt32(truncatingIfNeeded: payload.count) &- (isn &+ 1)
        if !flags.contains(.syn), Int32(bitPattern: end &- cursor) > 0 { sent[index][direction] = end }
        let s = TCPSegment(source: fromServer ? c.server : c.client, destination: fromServer ? c.client : c.server,
                           sourcePort: fromServer ? c.serverPort : c.clientPort,
                           destinationPort: fromServer ? c.clientPort : c.serverPort,
                           sequence: sequence, flags: flags, payload: payload)
        return inspector.handle(segment: s, now: now)
    }

    private mutating func payload(connection c: FuzzWorld.Connection, fromServer: Bool) -> [UInt8] {
        let kind = input.byte()
        let ownAddress = kind & 8 != 0
        var bytes: [UInt8]
        switch kind & 7 {
        case 0: bytes = input.bytes(Int(input.byte()))
        case 1: bytes = input.pick(FTPFragments.dictionary)
        case 2: bytes = FTPFragments.passive(ownAddress ? c.server : address(), port(kind))
        case 3: bytes = FTPFragments.extendedPassive(port(kind))
        case 4: bytes = FTPFragments.port(ownAddress ? c.client : address(), port(kind))
        case 5: bytes = FTPFragments.extendedPort(ownAddress ? c.client : address(), port(kind))
        case 6: bytes = input.pick(FTPFragments.dictionary) + input.pick(FTPFragments.dictionary)
        default:  // bulk, to fill the reassembly buffer: up to 8 KiB of one byte
            let count = Int(input.byte()) * 32
            bytes = Array(repeating: input.byte(), count: count)
        }
        // Cuts make lines that span segments once the fuzzer sends the rest.
        if kind & 0x10 != 0 { bytes = Array(bytes.prefix(Int(input.byte()) % (bytes.count + 1))) }
        if kind & 0x20 != 0 { bytes = Array(bytes.dropFirst(Int(input.byte()) % (bytes.count + 1))) }
        return bytes
    }

    private mutating func address() -> IPAddress { input.pick(FuzzWorld.otherAddresses) }

    /// Mostly ports around the data ranges, sometimes any port.
    private mutating func port(_ kind: UInt8) -> UInt16 {
        kind & 0x40 != 0 ? input.u16() : 49_998 + UInt16(input.byte() % 8)
    }

    // MARK: conntrack, time, restart

    private mutating func conntrackState() -> TCPConntrackState? { TCPConntrackState(rawValue: input.byte() % 11) }

    private mutating func conntrack() -> [InspectorEvent] {
        let control = input.byte()
        let kind: ConntrackEvent.Kind = [.new, .update, .destroy, .existing][Int(control & 3)]
        let c = input.pick(FuzzWorld.connections)
        let e: ConntrackEvent
        switch (control >> 2) & 3 {
        case 0:
            e = ConntrackEvent(kind: kind, source: c.client, destination: c.server, sourcePort: c.clientPort,
                               destinationPort: c.serverPort, tcpState: conntrackState())
        case 1:  // a data connection through a pinhole
            let pk = pinholeKey()
            e = ConntrackEvent(kind: kind, source: pk.initiator, destination: pk.responder, sourcePort: input.u16(),
                               destinationPort: pk.port, tcpState: conntrackState())
        case 2:  // the same tuple the other way round
            let pk = pinholeKey()
            e = ConntrackEvent(kind: kind, source: pk.responder, destination: pk.initiator, sourcePort: pk.port,
                               destinationPort: input.u16(), tcpState: conntrackState())
        default:
            e = ConntrackEvent(kind: kind, source: c.server, destination: c.client, sourcePort: c.serverPort,
                               destinationPort: c.clientPort, tcpState: conntrackState())
        }
        return inspector.handle(conntrack: e, now: now)
    }

    /// An open pinhole's key, or a made-up one.
    private mutating func pinholeKey() -> PinholeKey {
        let choice = Int(input.byte())
        let open = inspector.pinholes.keys.sorted { $0.description < $1.description }
        if choice < open.count * 32 { return open[choice % open.count] }
        let c = input.pick(FuzzWorld.connections)
        let passive = choice & 1 == 0
        return PinholeKey(initiator: passive ? c.client : c.server, responder: passive ? c.server : c.client,
                          port: port(UInt8(truncatingIfNeeded: choice)))
    }

    private mutating func advanceTime() -> [InspectorEvent] {
        now = now.adding(milliseconds: UInt64(input.u16()))
        let events = inspector.expire(now: now)
        for p in inspector.pinholes.values {
            require(p.expires > now, "pinhole \(p.key) survived expire past its deadline")
        }
        return events
    }

    private mutating func resync() -> [InspectorEvent] {
        var dump: [ConntrackEvent] = []
        for _ in 0..<(input.byte() % 5) {
            let c = input.pick(FuzzWorld.connections)
            dump.append(ConntrackEvent(kind: .existing, source: c.client, destination: c.server,
                                       sourcePort: c.clientPort, destinationPort: c.serverPort,
                                       tcpState: conntrackState()))
        }
        return inspector.resync(dump: dump, now: now)
    }

    /// Elements found in the kernel sets after a restart. Mostly what pinholed
    /// itself writes (a session's own tuple, its comment naming that session),
    /// sometimes a key and a comment that do not belong together, or garbage.
    private mutating func adopt() -> [InspectorEvent] {
        var elements: [KernelElement] = []
        for _ in 0..<(input.byte() % 8) {
            let shape = input.byte()
            let c = input.pick(FuzzWorld.connections)
            let session = ConnectionKey(client: c.client, clientPort: c.clientPort, server: c.server,
                                        serverPort: c.serverPort)
            let key: PinholeKey
            if shape & 1 == 0 {
                let passive = shape & 2 == 0
                key = PinholeKey(initiator: passive ? c.client : c.server, responder: passive ? c.server : c.client,
                                 port: port(shape))
            } else {
                key = pinholeKey()
            }
            let comment = shape & 4 == 0 ? "pinholed x \(session)"
                : input.pick(["pinholed \(session)", "\(session)", "pinholed x y", "pinholed x \(session) z"])
            let ms = input.u16()
            elements.append(KernelElement(key: key, expiresInMs: ms == 0 ? nil : UInt64(ms), comment: comment))
        }
        return inspector.adopt(elements: elements, now: now)
    }
}
