import XCTest
@testable import PinholeCore

/// Found in review: the race guard's QueueReader copies a prefix of each queued packet
/// (the copy range, 128 bytes when this was found); Daemon.verdict drops anything
/// PacketDecoder does not call a segment. A data SYN longer than the copy range
/// (TCP Fast Open data, or IPv6 extension headers) was therefore always dropped,
/// pinhole or not. The race guard now decodes its copies with `.headers`.
final class QueuedSynCopyTests: XCTestCase {
    typealias F = CoreFixtures

    func testTFOSynTruncatedToCopyRangeIsNotASegment() {
        let syn = F.ipv4(body: F.tcp(sourcePort: 40000, destinationPort: 50050, flags: 0x02,
                                     payload: [UInt8](repeating: 0x41, count: 200)))
        XCTAssertTrue(PacketDecoder.decode(syn).isSegment, "whole packet decodes")
        let copied = Array(syn.prefix(128))  // what NFQUEUE delivers with copy_range 128
        XCTAssertTrue(PacketDecoder.decode(copied, copy: .headers).isSegment,
                      "truncated copy of a SYN with data: got \(PacketDecoder.decode(copied, copy: .headers)), so the race guard drops it")
        XCTAssertEqual(PacketDecoder.decode(copied), .malformed, "NFLOG copies (.whole) stay strict")
    }
}
