/// Raw packet copies into PacketDecoder, and the decoded segments on into an
/// inspector, as the daemon does with NFLOG payloads; each copy also decoded
/// as the race guard decodes NFQUEUE copies (`.headers`).
///
/// Input layout: if the first byte looks like an IP header (version 4 or 6)
/// the whole input is one packet; otherwise, after that byte, records of a
/// 2-byte big-endian length and that many bytes, one packet each.
struct DecoderProgram {
    static let maxPackets = 256

    /// Any server on the FTP ports, both modes: every decoded segment that
    /// names port 21 or 2121 reaches the parsers.
    static let policy = Policy(services: [
        Service(name: "any21", servers: [IPPrefix("0.0.0.0/0")!, IPPrefix("::/0")!], active: true),
        Service(name: "any2121", servers: [IPPrefix("0.0.0.0/0")!, IPPrefix("::/0")!], controlPort: 2121,
                active: true, dataPorts: PortRange(lower: 50000, upper: 50100)!),
    ], limits: Limits(pinholesPerSession: 2, sessions: 4, pinholes: 5))

    private var inspector = Inspector(policy: DecoderProgram.policy)
    private var mirror = EventMirror()
    private var now = Instant(nanoseconds: 0)

    mutating func run(_ data: UnsafeBufferPointer<UInt8>) {
        guard let first = data.first else { return }
        if first >> 4 == 4 || first >> 4 == 6 {
            packet(Array(data))
            return
        }
        var input = FuzzReader(UnsafeBufferPointer(rebasing: data.dropFirst()))
        var count = 0
        while !input.isAtEnd, count < Self.maxPackets {
            count += 1
            packet(input.bytes(Int(input.u16())))
        }
    }

    private mutating func packet(_ p: [UInt8]) {
        let decoded = PacketDecoder.decode(p)
        // The race guard's decoding of NFQUEUE copies (cut at the copy range):
        // its segments also take addresses and ports from the header, and a
        // copy decoded whole decodes the same.
        let queued = PacketDecoder.decode(p, copy: .headers)
        if case .segment(let q) = queued { Self.checkAgainstHeader(q, p) }
        if case .segment = decoded { require(queued == decoded, "a whole copy decodes differently as a queued copy") }
        guard case .segment(let s) = decoded else { return }
        Self.checkAgainstHeader(s, p)
        // Decoding is a function of the bytes: a canonical re-encoding of the
        // segment decodes to the same segment.
        require(PacketDecoder.decode(Self.encode(s)) == decoded, "re-encoded segment decodes differently")
        now = now.adding(milliseconds: 10)
        var events = inspector.handle(segment: s, now: now)
        events += inspector.expire(now: now)
        mirror.apply(events)
        mirror.check(against: inspector)
        InspectorInvariants.check(inspector)
    }

    /// Addresses and ports come from the header, the payload fits in the packet.
    private static func checkAgainstHeader(_ s: TCPSegment, _ p: [UInt8]) {
        let v6 = p[0] >> 4 == 6
        let addressOffset = v6 ? 8 : 12, length = v6 ? 16 : 4
        require(s.source.bytes == Array(p[addressOffset..<(addressOffset + length)]), "source not from the header")
        require(s.destination.bytes == Array(p[(addressOffset + length)..<(addressOffset + 2 * length)]),
                "destination not from the header")
        require(s.payload.count <= p.count - (v6 ? 60 : 40), "payload longer than the packet allows")
        require(s.flags.rawValue & ~0x1f == 0, "flags outside FIN..ACK")
    }

    /// Minimal IPv4 or IPv6 + TCP packet carrying the segment.
    static func encode(_ s: TCPSegment) -> [UInt8] {
        var tcp: [UInt8] = [UInt8(s.sourcePort >> 8), UInt8(s.sourcePort & 0xff),
                            UInt8(s.destinationPort >> 8), UInt8(s.destinationPort & 0xff)]
        tcp += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: s.sequence >> $0) }
        tcp += [0, 0, 0, 0, 0x50, s.flags.rawValue, 0xff, 0xff, 0, 0, 0, 0]
        tcp += s.payload
        if s.source.family == .ipv4 {
            let total = 20 + tcp.count
            return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0]
                + s.source.bytes + s.destination.bytes + tcp
        }
        return [0x60, 0, 0, 0, UInt8(tcp.count >> 8), UInt8(tcp.count & 0xff), 6, 64]
            + s.source.bytes + s.destination.bytes + tcp
    }
}
