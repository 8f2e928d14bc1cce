/// The result of decoding one packet copy (NFLOG NFULA_PAYLOAD, starting at the IP header).
public enum DecodedPacket: Sendable, Equatable {
    case segment(TCPSegment)
    /// Not TCP, or a fragment we do not reassemble (only whole datagrams are parsed).
    case ignored
    /// Lengths or versions that do not add up.
    case malformed
}

/// How much of the packet a copy must hold to be decoded.
public enum PacketCopy: Sendable, Equatable {
    /// The whole packet, up to the IP total length or payload length (NFLOG
    /// copies of control traffic: the inspector needs every payload byte).
    /// A copy shorter than the IP length is malformed.
    case whole
    /// At least the IP header, any IPv6 extension headers and the full TCP
    /// header with its options (NFQUEUE copies of held SYNs, cut at the copy
    /// range: the verdict needs addresses, ports and flags only). A copy that
    /// ends after the TCP header is decoded; the segment's payload is then the
    /// part of it that was copied, possibly none. The IP length must still
    /// cover every header, and a copy that cuts a header is malformed.
    case headers
}

/// Decodes IPv4/IPv6 + TCP from raw bytes. Every read is bounds-checked: any input,
/// however short or hostile, yields a result and never traps.
public enum PacketDecoder {
    private static let tcpProtocol: UInt8 = 6
    /// Extension headers we walk; a chain longer than this is treated as malformed.
    private static let maxExtensionHeaders = 16

    public static func decode(_ packet: [UInt8], copy: PacketCopy = .whole) -> DecodedPacket {
        guard let first = packet.first else { return .malformed }
        switch first >> 4 {
        case 4: return decodeIPv4(packet, copy: copy)
        case 6: return decodeIPv6(packet, copy: copy)
        default: return .malformed
        }
    }

    /// Where the bytes to decode end: the IP length (cutting link-layer padding),
    /// or with `.headers` the end of a shorter copy. Nil if the copy must be whole and is not.
    private static func end(ipLength: Int, count: Int, copy: PacketCopy) -> Int? {
        if ipLength <= count { return ipLength }
        return copy == .headers ? count : nil
    }

    private static func decodeIPv4(_ p: [UInt8], copy: PacketCopy) -> DecodedPacket {
        guard p.count >= 20 else { return .malformed }
        let headerLength = Int(p[0] & 0x0f) * 4
        let totalLength = Int(be16(p, 2))
        guard headerLength >= 20, headerLength <= totalLength,
              let end = end(ipLength: totalLength, count: p.count, copy: copy), headerLength <= end else { return .malformed }
        let flagsAndOffset = be16(p, 6)
        let moreFragments = flagsAndOffset & 0x2000 != 0
        let fragmentOffset = flagsAndOffset & 0x1fff
        if moreFragments || fragmentOffset != 0 { return .ignored }
        guard p[9] == tcpProtocol else { return .ignored }
        let source = IPAddress(bytes: p[12..<16])!
        let destination = IPAddress(bytes: p[16..<20])!
        // Cut at total length: link layers may pad short frames.
        return decodeTCP(p[headerLength..<end], source: source, destination: destination)
    }

    private static func decodeIPv6(_ p: [UInt8], copy: PacketCopy) -> DecodedPacket {
        guard p.count >= 40 else { return .malformed }
        let payloadLength = Int(be16(p, 4))
        // A zero payload length means a jumbogram (hop-by-hop option); not for a control channel.
        // Extension headers and TCP must fit before `end`: in the IP length and in the copy.
        guard payloadLength > 0, let end = end(ipLength: 40 + payloadLength, count: p.count, copy: copy)
        else { return .malformed }
        let source = IPAddress(bytes: p[8..<24])!
        let destination = IPAddress(bytes: p[24..<40])!
        var next = p[6]
        var offset = 40
        for _ in 0..<maxExtensionHeaders {
            switch next {
            case tcpProtocol:
                return decodeTCP(p[offset..<end], source: source, destination: destination)
            case 0, 43, 60:  // hop-by-hop, routing, destination options: (len + 1) * 8 bytes
                guard offset + 2 <= end else { return .malformed }
                let length = (Int(p[offset + 1]) + 1) * 8
                guard offset + length <= end else { return .malformed }
                next = p[offset]
                offset += length
            case 51:  // AH: (len + 2) * 4 bytes
                guard offset + 2 <= end else { return .malformed }
                let length = (Int(p[offset + 1]) + 2) * 4
                guard offset + length <= end else { return .malformed }
                next = p[offset]
                offset += length
            case 44:  // fragment: we only parse whole datagrams
                return .ignored
            default:  // 59 no next header, ESP, UDP, ICMPv6, unknown
                return .ignored
            }
        }
        return .malformed
    }

    private static func decodeTCP(_ t: ArraySlice<UInt8>, source: IPAddress, destination: IPAddress) -> DecodedPacket {
        guard t.count >= 20 else { return .malformed }
        let s = t.startIndex
        let dataOffset = Int(t[s + 12] >> 4) * 4
        guard dataOffset >= 20, dataOffset <= t.count else { return .malformed }
        let sequence = UInt32(t[s + 4]) << 24 | UInt32(t[s + 5]) << 16 | UInt32(t[s + 6]) << 8 | UInt32(t[s + 7])
        let segment = TCPSegment(
            source: source, destination: destination,
            sourcePort: UInt16(t[s]) << 8 | UInt16(t[s + 1]),
            destinationPort: UInt16(t[s + 2]) << 8 | UInt16(t[s + 3]),
            sequence: sequence,
            flags: TCPFlags(rawValue: t[s + 13] & 0x1f),
            payload: Array(t[(s + dataOffset)...]))
        return .segment(segment)
    }

    private static func be16(_ p: [UInt8], _ i: Int) -> UInt16 {
        UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }
}
