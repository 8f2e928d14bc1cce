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
        let f = ConntrackSocketFilter(destinations: [IPPrefix("198.51.100.1")!, IPPrefix("2001:db8::/48")!],
                                      sources: [IPPrefix("203.0.113.0/24")!])
        let p = f.program
        XCTAssertEqual(p.last?.code, 0x06)
        XCTAssertEqual(p.last?.k, ConntrackSocketFilter.reject)
        for (i, ins) in p.enumerated() {
            if ins.code == 0x15 { XCTAssertLessThan(i + 1 + Int(max(ins.jt, ins.jf)), p.count, "jump at \(i) leaves the program") }
            if ins.code == 0x05 { XCTAssertLessThan(i + 1 + Int(ins.k), p.count, "ja at \(i) leaves the program") }
        }
        XCTAssertEqual(p.filter { $0.code == 0x06 && $0.k == ConntrackSocketFilter.accept }.count, 1 + 3, "non-ctnetlink + one per prefix")
    }

    func testFilterMatchesDestinationOrSource() {
        let f = ConntrackFilter(destinations: [IPPrefix("198.51.100.0/24")!], sources: [IPPrefix("2001:db8::1")!])
        XCTAssertTrue(f.matches(source: IPAddress("203.0.113.9")!, destination: IPAddress("198.51.100.7")!))
        XCTAssertTrue(f.matches(source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::9")!))
        XCTAssertFalse(f.matches(source: IPAddress("198.51.100.7")!, destination: IPAddress("203.0.113.9")!))
    }
}
