import CNetfilter
import XCTest
@testable import PinholeNetfilter
import PinholeCore

/// `NetlinkAttribute.first(_:in:)` (the per-packet lookup) must find exactly
/// what `parse(buffer).first(type)` finds, on well-formed and hostile buffers.
final class NetlinkAttributeLookupTests: XCTestCase {
    /// SplitMix64: reproducible buffers.
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    /// One attribute: length, type (maybe with the NESTED / NET_BYTEORDER bits), value, padding.
    static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendHost(UInt16(4 + value.count))
        out.appendHost(type)
        out += value
        out += [UInt8](repeating: 0, count: netlinkAlign(value.count) - value.count)
        return out
    }

    func assertSameLookups(_ buffer: ArraySlice<UInt8>, file: StaticString = #filePath, line: UInt = #line) {
        let all = NetlinkAttribute.parse(buffer)
        for type in UInt16(0)...12 {
            let reference = all.first(type)
            let found = NetlinkAttribute.first(type, in: buffer)
            XCTAssertEqual(found?.type, reference?.type, "type \(type)", file: file, line: line)
            XCTAssertEqual(found?.bytes.startIndex, reference?.bytes.startIndex, "type \(type)", file: file, line: line)
            XCTAssertEqual(found.map { Array($0.bytes) }, reference.map { Array($0.bytes) }, "type \(type)", file: file, line: line)
        }
    }

    func testFindsTheFirstOfEachTypeAsParseDoes() {
        var rng = RNG(state: 0xa77)
        let flags: [UInt16] = [0, UInt16(NLA_F_NESTED), UInt16(NLA_F_NET_BYTEORDER)]
        for _ in 0..<2_000 {
            var buffer: [UInt8] = []
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                let type = UInt16.random(in: 0...10, using: &rng) | flags.randomElement(using: &rng)!
                let value = (0..<Int.random(in: 0...9, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                buffer += Self.attribute(type, value)
            }
            // A slice that does not start at 0, as a message's payload does.
            let framed = [0xaa, 0xbb, 0xcc] + buffer
            assertSameLookups(framed[3...])
            // Cut anywhere: the walk stops at the first attribute that does not fit.
            if !buffer.isEmpty {
                let cut = Int.random(in: 0..<buffer.count, using: &rng)
                assertSameLookups(buffer[0..<cut])
            }
        }
    }

    func testHostileBuffersFindNothingParseDoesNot() {
        var rng = RNG(state: 0xbad)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            assertSameLookups(bytes[...])
        }
        XCTAssertNil(NetlinkAttribute.first(1, in: [0x02, 0x00, 0x01, 0x00][...]), "length below header size")
        XCTAssertNil(NetlinkAttribute.first(1, in: [0xff, 0x00, 0x01, 0x00, 0x00][...]), "length past the end")
    }

    func testAnNflogPacketDecodesFromItsAttributes() {
        // NFULNL_MSG_PACKET for AF_INET: nfgenmsg, then NFULA_PACKET_HDR (hw_protocol 0x0800, hook 4),
        // an attribute we do not read, and NFULA_PAYLOAD.
        let ip: [UInt8] = [0x45, 0x00, 0x00, 0x14, 1, 2, 3, 4]
        var body: [UInt8] = [UInt8(AF_INET), 0, 0x08, 0x4d]
        body += Self.attribute(UInt16(NFULA_PACKET_HDR.rawValue), [0x08, 0x00, 4, 0])
        body += Self.attribute(UInt16(NFULA_MARK.rawValue), [0, 0, 0, 7])
        body += Self.attribute(UInt16(NFULA_PAYLOAD.rawValue), ip)
        var message: [UInt8] = []
        message.appendHost(UInt32(16 + body.count))
        message.appendHost(UInt16(NFNL_SUBSYS_ULOG) << 8 | UInt16(NFULNL_MSG_PACKET.rawValue))
        message.appendHost(UInt16(0))
        message.appendHost(UInt32(0))
        message.appendHost(UInt32(0))
        message += body
        let parsed = NetlinkMessage.parse(message[...])
        XCTAssertEqual(parsed.count, 1)
        let packet = NflogReader.decode(parsed[0])
        XCTAssertEqual(packet, NflogPacket(prefix: "", payload: ip, hook: 4, family: .ipv4))
    }
}
