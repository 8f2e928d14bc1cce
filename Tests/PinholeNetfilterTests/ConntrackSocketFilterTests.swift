import XCTest
@testable import PinholeNetfilter
import PinholeCore

final class ConntrackSocketFilterTests: XCTestCase {
    func testPrefixWordsAreNetworkOrderWithMasksAndSkipWildcardWords() {
        let v4 = ConntrackSocketFilter.words(IPPrefix("198.51.100.0/24")!)
        XCTAssertEqual(v4.map(\.0), [0xc633_6400])
        XCTAssertEqual(v4.map(\.1), [0xffff_ff00])
        let v6 = ConntrackSocketFilter.words(IPPrefix("2001:db8::/32")!)
        XCTAssertEqual(v6.map(\.0), [0x2001_0db8], "only the first word is compared for a /32")
        let host6 = ConntrackSocketFilter.words(IPPrefix("2001:db8::1")!)
        XCTAssertEqual(host6.map(\.0), [0x2001_0db8, 0, 0, 1])
        XCTAssertEqual(host6.map(\.1), [~0, ~0, ~0, ~0])
        XCTAssertTrue(ConntrackSocketFilter.words(IPPrefix("::/0")!).isEmpty, "/0 matches everything")
    }

    func testProgramEndsInRejectAndEveryJumpStaysInside() {
        for ports: [UInt16] in [[], [21], [21, 2121, 990], Array(1...UInt16(ConntrackSocketFilter.maxControlPorts + 1))] {
            let f = ConntrackSocketFilter(ConntrackFilter(destinations: [IPPrefix("198.51.100.1")!, IPPrefix("2001:db8::/48")!],
                                                          sources: [IPPrefix("203.0.113.0/24")!], controlPorts: ports))
            let p = f.program
            XCTAssertEqual(p.last?.code, 0x06)
            XCTAssertEqual(p.last?.k, ConntrackSocketFilter.reject)
            for (i, ins) in p.enumerated() {
                if ins.code == 0x15 || ins.code == 0x45 {
                    XCTAssertLessThan(i + 1 + Int(max(ins.jt, ins.jf)), p.count, "jump at \(i) leaves the program (\(ports.count) ports)")
                }
                if ins.code == 0x05 { XCTAssertLessThan(i + 1 + Int(ins.k), p.count, "ja at \(i) leaves the program") }
            }
            XCTAssertEqual(p.filter { $0.code == 0x06 && $0.k == ConntrackSocketFilter.accept }.count, 1 + 3, "non-ctnetlink + one per prefix")
            let portCompares = p.filter { $0.code == 0x15 && ports.contains(UInt16(truncatingIfNeeded: $0.k)) && $0.k > 0 && $0.k < 65536 }
            let expected = ports.count <= ConntrackSocketFilter.maxControlPorts ? ports.count : 0
            XCTAssertGreaterThanOrEqual(portCompares.count, expected, "one compare per control port")
            XCTAssertEqual(p.contains { $0.code == 0x45 }, expected > 0, "the NEW test only when ports restrict updates")
        }
    }

    func testFilterMatchesDestinationOrSource() {
        let f = ConntrackFilter(destinations: [IPPrefix("198.51.100.0/24")!], sources: [IPPrefix("2001:db8::1")!])
        XCTAssertTrue(f.matches(source: IPAddress("203.0.113.9")!, destination: IPAddress("198.51.100.7")!))
        XCTAssertTrue(f.matches(source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::9")!))
        XCTAssertFalse(f.matches(source: IPAddress("198.51.100.7")!, destination: IPAddress("203.0.113.9")!))
    }
}
