import XCTest
@testable import PinholeCore

final class PacketDecoderTests: XCTestCase {
    typealias F = CoreFixtures

    private func segment(_ packet: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> TCPSegment? {
        guard case .segment(let s) = PacketDecoder.decode(packet) else {
            XCTFail("expected a segment, got \(PacketDecoder.decode(packet))", file: file, line: line)
            return nil
        }
        return s
    }

    func testIPv4SegmentFieldsAndPayload() {
        let payload = F.bytes("PASV\r\n")
        let packet = F.ipv4(body: F.tcp(sourcePort: 40001, destinationPort: 21, sequence: 0xdead_beef,
                                        flags: 0x18, payload: payload))
        guard let s = segment(packet) else { return }
        XCTAssertEqual(s.source, F.v4("198.51.100.2"))
        XCTAssertEqual(s.destination, F.v4("203.0.113.10"))
        XCTAssertEqual(s.sourcePort, 40001)
        XCTAssertEqual(s.destinationPort, 21)
        XCTAssertEqual(s.sequence, 0xdead_beef)
        XCTAssertEqual(s.flags, [.psh, .ack])
        XCTAssertEqual(s.payload, payload)
    }

    func testIPv4OptionsAndTCPOptionsAreSkipped() {
        let payload = F.bytes("227 ok\r\n")
        let packet = F.ipv4(options: [1, 1, 1, 0], body: F.tcp(options: [2, 4, 5, 0xb4, 1, 1, 1, 0], payload: payload))
        XCTAssertEqual(segment(packet)?.payload, payload)
    }

    func testIPv4TotalLengthCutsLinkPadding() {
        let packet = F.ipv4(body: F.tcp(flags: 0x10), padding: [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(segment(packet)?.payload, [])
    }

    func testIPv4SynFlags() {
        let packet = F.ipv4(body: F.tcp(flags: 0x02))
        XCTAssertEqual(segment(packet)?.flags, [.syn])
    }

    func testIPv4FragmentsAreIgnored() {
        let body = F.tcp(payload: F.bytes("PORT 1,2,3,4,5,6\r\n"))
        XCTAssertEqual(PacketDecoder.decode(F.ipv4(flagsAndOffset: 0x2000, body: body)), .ignored, "MF set")
        XCTAssertEqual(PacketDecoder.decode(F.ipv4(flagsAndOffset: 0x0001, body: body)), .ignored, "offset 8")
        XCTAssertEqual(PacketDecoder.decode(F.ipv4(flagsAndOffset: 0x4000, body: body)).isSegment, true, "DF only")
    }

    func testIPv4NonTCPIsIgnored() {
        XCTAssertEqual(PacketDecoder.decode(F.ipv4(protocolNumber: 17, body: [UInt8](repeating: 0, count: 8))), .ignored)
    }

    func testIPv4BadLengthsAreMalformed() {
        var p = F.ipv4(body: F.tcp())
        p[0] = 0x44  // IHL 4
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
        p = F.ipv4(body: F.tcp())
        p[3] = UInt8(p.count + 1)  // total length beyond the copy
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
        p = F.ipv4(body: F.tcp())
        p[0] = 0x4f  // IHL 60 > total length
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
        p = F.ipv4(body: F.tcp())
        p[20 + 12] = 0x40  // TCP data offset 4
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
        p = F.ipv4(body: F.tcp())
        p[20 + 12] = 0x60  // data offset 24 > 20 bytes present
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
        p = F.ipv4(body: Array(F.tcp().prefix(19)))
        XCTAssertEqual(PacketDecoder.decode(p), .malformed, "short TCP header")
    }

    func testUnknownVersionAndEmptyAreMalformed() {
        XCTAssertEqual(PacketDecoder.decode([]), .malformed)
        var p = F.ipv4(body: F.tcp())
        p[0] = 0x55
        XCTAssertEqual(PacketDecoder.decode(p), .malformed)
    }

    func testIPv6Segment() {
        let payload = F.bytes("229 Entering Extended Passive Mode (|||6446|)\r\n")
        guard let s = segment(F.ipv6(body: F.tcp(sourcePort: 21, destinationPort: 50000, sequence: 7, payload: payload)))
        else { return }
        XCTAssertEqual(s.source, IPAddress("2001:db8::2"))
        XCTAssertEqual(s.destination, IPAddress("2001:db8:1::10"))
        XCTAssertEqual(s.sourcePort, 21)
        XCTAssertEqual(s.destinationPort, 50000)
        XCTAssertEqual(s.sequence, 7)
        XCTAssertEqual(s.payload, payload)
    }

    func testIPv6PayloadLengthCutsPadding() {
        XCTAssertEqual(segment(F.ipv6(body: F.tcp(payload: [1, 2, 3]), padding: [9, 9]))?.payload, [1, 2, 3])
    }

    func testIPv6ExtensionHeadersAreWalked() {
        let payload = F.bytes("EPSV\r\n")
        // hop-by-hop -> routing -> destination options -> AH -> TCP
        let chain = F.extensionHeader(next: 43, units: 1) + F.extensionHeader(next: 60)
            + F.extensionHeader(next: 51, units: 2) + F.authenticationHeader(next: 6, lengthField: 4)
        XCTAssertEqual(segment(F.ipv6(next: 0, extensions: chain, body: F.tcp(payload: payload)))?.payload, payload)
    }

    func testIPv6FragmentAndNoNextAreIgnored() {
        let frag: [UInt8] = [6, 0, 0, 0, 0, 0, 0, 1]
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 44, extensions: frag, body: F.tcp())), .ignored)
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 0, extensions: F.extensionHeader(next: 44) + frag,
                                                   body: F.tcp())), .ignored)
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 59, body: [])), .malformed, "zero payload length")
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 59, body: [0, 0, 0, 0])), .ignored)
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 17, body: [UInt8](repeating: 0, count: 8))), .ignored)
    }

    func testIPv6ExtensionHeaderBeyondPayloadIsMalformed() {
        // Hop-by-hop claims 16 bytes but the payload ends after 8.
        let packet = F.ipv6(next: 0, extensions: [6, 1, 0, 0, 0, 0, 0, 0], body: [])
        XCTAssertEqual(PacketDecoder.decode(packet), .malformed)
        var bad = F.ipv6(body: F.tcp())
        bad[5] = UInt8(truncatingIfNeeded: bad.count)  // payload length beyond the copy
        XCTAssertEqual(PacketDecoder.decode(bad), .malformed)
    }

    func testIPv6EndlessExtensionChainIsBounded() {
        var chain: [UInt8] = []
        for _ in 0..<40 { chain += F.extensionHeader(next: 60) }
        XCTAssertEqual(PacketDecoder.decode(F.ipv6(next: 60, extensions: chain, body: F.tcp())), .malformed)
    }

    /// Every prefix of valid packets decodes to something without trapping, and only
    /// the full packet (or a padded one) yields a segment.
    func testTruncatedAtEveryLength() {
        let packets = [
            F.ipv4(options: [1, 1, 1, 0], body: F.tcp(options: [1, 1, 1, 0], payload: F.bytes("PORT 1,2,3,4,5,6\r\n"))),
            F.ipv6(next: 0, extensions: F.extensionHeader(next: 51) + F.authenticationHeader(next: 6),
                   body: F.tcp(payload: F.bytes("EPRT |2|2001:db8::2|5282|\r\n"))),
        ]
        for packet in packets {
            for length in 0..<packet.count {
                let result = PacketDecoder.decode(Array(packet.prefix(length)))
                XCTAssertFalse(result.isSegment, "prefix of \(length) of \(packet.count) bytes decoded as \(result)")
            }
            XCTAssertTrue(PacketDecoder.decode(packet).isSegment)
        }
    }

    // MARK: Queued copies (PacketCopy.headers): cut at the NFQUEUE copy range

    /// The copy ranges the tests cut at: the race guard's old 128 and its default now.
    static let copyRanges = [128, 512]

    /// MSS, SACK permitted, timestamps, window scale, a TCP Fast Open cookie: 40 bytes, the most TCP allows.
    static let synOptions: [UInt8] = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
                                      34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1] + [1, 1, 1, 1, 1, 1, 1, 0]

    private func queued(_ packet: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> TCPSegment? {
        guard case .segment(let s) = PacketDecoder.decode(packet, copy: .headers) else {
            XCTFail("expected a segment, got \(PacketDecoder.decode(packet, copy: .headers))", file: file, line: line)
            return nil
        }
        return s
    }

    /// An IPv4 data SYN with IP options and a full set of TCP options, cut at
    /// the copy range: refused as a whole copy (NFLOG stays strict), decoded
    /// from its headers as a queued copy, with the copied part of the payload.
    func testQueuedIPv4SynWithOptionsAndDataCutAtCopyRange() {
        let data = [UInt8](repeating: 0x41, count: 1000)
        let syn = F.ipv4(options: [1, 1, 1, 0], body: F.tcp(sourcePort: 40000, destinationPort: 50050, sequence: 77,
                                                            flags: 0x02, options: Self.synOptions, payload: data))
        let headers = 24 + 60
        for range in Self.copyRanges {
            let copy = Array(syn.prefix(range))
            XCTAssertEqual(PacketDecoder.decode(copy), .malformed, "a whole copy must hold the whole packet")
            guard let s = queued(copy) else { continue }
            XCTAssertEqual(s.source, F.v4("198.51.100.2"))
            XCTAssertEqual(s.destination, F.v4("203.0.113.10"))
            XCTAssertEqual(s.sourcePort, 40000)
            XCTAssertEqual(s.destinationPort, 50050)
            XCTAssertEqual(s.sequence, 77)
            XCTAssertEqual(s.flags, [.syn])
            XCTAssertEqual(s.payload, Array(data.prefix(range - headers)), "the copied part of the data")
        }
    }

    /// An IPv6 data SYN behind a hop-by-hop header (router alert padded to 8
    /// bytes) and a destination options header, cut at the copy range.
    func testQueuedIPv6SynWithHopByHopCutAtCopyRange() {
        let hopByHop: [UInt8] = [60, 0, 5, 2, 0, 0, 1, 0]  // next: destination options; router alert, PadN
        let chain = hopByHop + F.extensionHeader(next: 6, units: 1)
        let syn = F.ipv6(next: 0, extensions: chain,
                         body: F.tcp(sourcePort: 40000, destinationPort: 50060, flags: 0x02,
                                     options: Self.synOptions, payload: [UInt8](repeating: 0x42, count: 1000)))
        for range in Self.copyRanges {
            let copy = Array(syn.prefix(range))
            XCTAssertEqual(PacketDecoder.decode(copy), .malformed, "a whole copy must hold the whole packet")
            guard let s = queued(copy) else { continue }
            XCTAssertEqual(s.source, IPAddress("2001:db8::2"))
            XCTAssertEqual(s.destination, IPAddress("2001:db8:1::10"))
            XCTAssertEqual(s.sourcePort, 40000)
            XCTAssertEqual(s.destinationPort, 50060)
            XCTAssertEqual(s.flags, [.syn])
            XCTAssertEqual(s.payload.count, range - (40 + 24 + 60))
        }
    }

    /// A queued copy is decoded from the first length holding every header
    /// (IP, IP options, extension headers, TCP with its options) on, and
    /// refused at every shorter length: a cut TCP header is never a segment.
    func testQueuedCopyCutInAHeaderIsRefused() {
        let cases: [(packet: [UInt8], headers: Int)] = [
            (F.ipv4(options: [1, 1, 1, 0], body: F.tcp(flags: 0x02, options: Self.synOptions, payload: [1, 2, 3])), 24 + 60),
            (F.ipv4(body: F.tcp(flags: 0x02, payload: [1, 2, 3])), 40),
            (F.ipv6(next: 0, extensions: F.extensionHeader(next: 51) + F.authenticationHeader(next: 6),
                    body: F.tcp(flags: 0x02, options: Self.synOptions, payload: [1, 2, 3])),
             40 + 8 + F.authenticationHeader(next: 6).count + 60),
        ]
        for (packet, headers) in cases {
            for length in 0...packet.count {
                let result = PacketDecoder.decode(Array(packet.prefix(length)), copy: .headers)
                XCTAssertEqual(result.isSegment, length >= headers, "prefix of \(length) of \(packet.count): \(result)")
                if case .segment(let s) = result { XCTAssertEqual(s.payload, Array(packet[headers..<length])) }
            }
        }
    }

    /// With `.headers` only the copy may be short: the IP length must still
    /// cover every header, as with a whole copy.
    func testQueuedCopyStillChecksIPLengths() {
        var p = F.ipv4(body: F.tcp(flags: 0x02, options: Self.synOptions))
        p[3] = 40  // total length ends inside the TCP options, though the copy holds them
        XCTAssertEqual(PacketDecoder.decode(p, copy: .headers), .malformed)
        p[3] = 19
        XCTAssertEqual(PacketDecoder.decode(p, copy: .headers), .malformed, "total length below the IP header")
        var q = F.ipv6(next: 0, extensions: F.extensionHeader(next: 6), body: F.tcp(flags: 0x02))
        q[5] = 8 + 19  // payload length ends inside the TCP header
        XCTAssertEqual(PacketDecoder.decode(q, copy: .headers), .malformed)
        q[5] = 4  // ends inside the hop-by-hop header
        XCTAssertEqual(PacketDecoder.decode(q, copy: .headers), .malformed)
        q[4] = 0; q[5] = 0  // jumbogram
        XCTAssertEqual(PacketDecoder.decode(q, copy: .headers), .malformed)
        XCTAssertEqual(PacketDecoder.decode(F.ipv4(flagsAndOffset: 0x2000, body: F.tcp(flags: 0x02)), copy: .headers),
                       .ignored, "fragments still ignored")
        XCTAssertEqual(PacketDecoder.decode([], copy: .headers), .malformed)
    }

    /// A copy holding the whole packet (padded or not) decodes the same either way.
    func testWholeCopyDecodesTheSameInBothModes() {
        let packets = [
            F.ipv4(options: [1, 1, 1, 0], body: F.tcp(options: [1, 1, 1, 0], payload: F.bytes("PORT 1,2,3,4,5,6\r\n"))),
            F.ipv4(body: F.tcp(flags: 0x10), padding: [0, 0, 0, 0, 0, 0]),
            F.ipv6(next: 0, extensions: F.extensionHeader(next: 51) + F.authenticationHeader(next: 6),
                   body: F.tcp(payload: F.bytes("EPRT |2|2001:db8::2|5282|\r\n")), padding: [9, 9]),
        ]
        for packet in packets {
            XCTAssertTrue(PacketDecoder.decode(packet).isSegment)
            XCTAssertEqual(PacketDecoder.decode(packet, copy: .headers), PacketDecoder.decode(packet))
        }
    }

    /// Random bytes and random mutations of valid packets never trap.
    func testRandomInputNeverTraps() {
        var rng = F.SeededRNG(seed: 0x5eed_0001)
        let valid = [
            F.ipv4(body: F.tcp(payload: F.bytes("227 Entering Passive Mode (198,51,100,2,24,57)\r\n"))),
            F.ipv6(next: 0, extensions: F.extensionHeader(next: 6), body: F.tcp(payload: F.bytes("EPSV\r\n"))),
        ]
        var segments = 0
        for i in 0..<20_000 {
            var packet: [UInt8]
            if i % 2 == 0 {
                packet = F.randomBytes(Int.random(in: 0...120, using: &rng), &rng)
                if let first = packet.first { packet[0] = (i % 4 == 0 ? 0x40 : 0x60) | (first & 0x0f) }
            } else {
                packet = valid[i / 2 % 2]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    packet[Int.random(in: 0..<packet.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                packet = Array(packet.prefix(Int.random(in: 0...packet.count, using: &rng)))
            }
            let whole = PacketDecoder.decode(packet)
            if case .segment(let s) = whole {
                segments += 1
                XCTAssertLessThanOrEqual(s.payload.count, packet.count)
            }
            // A queued copy never traps either, and decodes every whole copy the same.
            let headers = PacketDecoder.decode(packet, copy: .headers)
            if whole.isSegment { XCTAssertEqual(headers, whole) }
            if case .segment(let s) = headers { XCTAssertLessThanOrEqual(s.payload.count, packet.count) }
        }
        XCTAssertGreaterThan(segments, 0, "mutations should sometimes still decode")
    }
}

extension DecodedPacket {
    var isSegment: Bool {
        if case .segment = self { return true }
        return false
    }
}

/// Packets captured with tcpdump (pyftpdlib on 198.51.100.2 / 2001:db8::2 in a network
/// namespace), link header stripped: what the kernel really produces, TCP options included.
final class CapturedPacketDecoderTests: XCTestCase {
    private func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            let j = text.index(i, offsetBy: 2)
            out.append(UInt8(text[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func testIPv4SynWithOptions() {
        let packet = hex("4500003c1eab40004006c7a5c6336402c6336402d0b208490ce822e600000000a002ffd7549a00000204ffd7"
                         + "0402080ade005adb000000000103030a")
        XCTAssertEqual(PacketDecoder.decode(packet), .segment(TCPSegment(
            source: IPAddress("198.51.100.2")!, destination: IPAddress("198.51.100.2")!,
            sourcePort: 53426, destinationPort: 2121, sequence: 216_539_878, flags: [.syn], payload: [])))
    }

    func testIPv4PassiveReply() {
        let packet = hex("450000660b9f40004006da87c6336402c63364020849d0b235c299920ce823058018004054c400000101080a"
                         + "2aace0c8de005c6b32323720456e746572696e672070617373697665206d6f646520283139382c35312c"
                         + "3130302c322c3139352c3838292e0d0a")
        guard case .segment(let s) = PacketDecoder.decode(packet) else { return XCTFail("no segment") }
        XCTAssertEqual(s.sourcePort, 2121)
        XCTAssertEqual(s.destinationPort, 53426)
        XCTAssertEqual(s.flags, [.psh, .ack])
        XCTAssertEqual(s.payload, Array("227 Entering passive mode (198,51,100,2,195,88).\r\n".utf8))
        var framer = LineFramer()
        var reader = FTPReplyReader()
        XCTAssertEqual(framer.push(s.payload).map { line -> FTPReply in
            guard case .line(let l) = line else { return .continuation }
            return reader.read(l)
        }, [.enteringPassive(IPAddress("198.51.100.2")!, 195 * 256 + 88)])
    }

    func testIPv6SynAndExtendedPassiveReply() {
        let syn = hex("600b52250028064020010db800000000000000000000000220010db8000000000000000000000002beea0849"
                      + "9d3f444e00000000a002ffc45ba400000204ffc40402080a0c54e90a000000000103030a")
        XCTAssertEqual(PacketDecoder.decode(syn), .segment(TCPSegment(
            source: IPAddress("2001:db8::2")!, destination: IPAddress("2001:db8::2")!,
            sourcePort: 48874, destinationPort: 2121, sequence: 2_638_169_166, flags: [.syn], payload: [])))
        let reply = hex("6009bedb0051064020010db800000000000000000000000220010db80000000000000000000000020849beea"
                        + "2865dfb99d3f446d801800405bcd00000101080aa73733c40c54ea9c32323920456e746572696e6720657874"
                        + "656e6465642070617373697665206d6f646520287c7c7c35303036367c292e0d0a")
        guard case .segment(let s) = PacketDecoder.decode(reply) else { return XCTFail("no segment") }
        XCTAssertEqual(s.payload, Array("229 Entering extended passive mode (|||50066|).\r\n".utf8))
        // Truncating the capture (a short NFLOG copy range) is malformed, never a short payload.
        XCTAssertEqual(PacketDecoder.decode(Array(reply.dropLast(3))), .malformed)
    }
}
