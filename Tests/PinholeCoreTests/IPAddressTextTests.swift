import Glibc
import PinholeCore
import XCTest

/// `IPAddress.description` writes its digits in place; these hold it to the
/// joined-pieces version it replaced (kept below as the reference), to glibc's
/// inet_ntop, and to parsing back.
final class IPAddressTextTests: XCTestCase {
    /// The replaced implementation, verbatim but for the names.
    static func reference(_ a: IPAddress) -> String {
        switch a.family {
        case .ipv4:
            return a.bytes.map(String.init).joined(separator: ".")
        case .ipv6:
            var groups = [UInt16]()
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(a.high >> UInt64(shift) & 0xffff)) }
            for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(a.low >> UInt64(shift) & 0xffff)) }
            var bestStart = -1, bestLen = 0, runStart = -1
            for n in 0...8 {
                if n < 8, groups[n] == 0 {
                    if runStart < 0 { runStart = n }
                } else if runStart >= 0 {
                    if n - runStart > bestLen { bestStart = runStart; bestLen = n - runStart }
                    runStart = -1
                }
            }
            func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
            if bestLen < 2 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
        }
    }

    static func inetNtop(_ a: IPAddress) -> String {
        var bytes = a.bytes
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let af = a.family == .ipv4 ? AF_INET : AF_INET6
        XCTAssertNotNil(inet_ntop(af, &bytes, &out, socklen_t(out.count)))
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every pattern of zero and non-zero groups (256), each with small,
    /// large and single-digit values: all the run, tie and edge cases.
    func testEveryZeroGroupPatternMatchesTheReference() {
        for pattern in 0..<256 {
            for value: UInt64 in [1, 0xa, 0xdb8, 0xffff, 0x1000, 0x0f0f] {
                var high: UInt64 = 0, low: UInt64 = 0
                for g in 0..<8 where pattern & (1 << g) != 0 {
                    if g < 4 { high |= value << UInt64(48 - 16 * g) } else { low |= value << UInt64(48 - 16 * (g - 4)) }
                }
                let a = IPAddress(ipv6: high, low)
                XCTAssertEqual(a.description, Self.reference(a), "pattern \(pattern) value \(value)")
                XCTAssertEqual(IPAddress(a.description), a, "parses back: \(a)")
            }
        }
    }

    func testRandomAddressesMatchTheReferenceAndInetNtop() {
        var rng = CoreFixtures.SeededRNG(seed: 0x5eed)
        for _ in 0..<20_000 {
            let v4 = IPAddress(ipv4: UInt32(truncatingIfNeeded: rng.next()))
            XCTAssertEqual(v4.description, Self.reference(v4))
            XCTAssertEqual(v4.description, Self.inetNtop(v4))
            // Zero some groups at random so that runs occur.
            let mask = rng.next(), h = rng.next() & Self.groupMask(mask), l = rng.next() & Self.groupMask(mask >> 4)
            let v6 = IPAddress(ipv6: h, l)
            XCTAssertEqual(v6.description, Self.reference(v6))
            // glibc writes ::a.b.c.d and ::ffff:a.b.c.d in dotted form; RFC 5952 form otherwise.
            if h != 0 || l >> 48 != 0 { XCTAssertEqual(v6.description, Self.inetNtop(v6)) }
        }
    }

    func testKnownForms() {
        let cases = ["0.0.0.0", "255.255.255.255", "198.51.100.2", "10.0.0.100", "::", "::1", "1::", "2001:db8::",
                     "2001:db8::1", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "2001:db8::1:0:0:1", "fe80::abcd:ef01",
                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:0:1:0:1:0:1:0"]
        for text in cases { XCTAssertEqual(IPAddress(text)?.description, text) }
        // Uppercase, leading zeros and a lone zero group are written canonically.
        XCTAssertEqual(IPAddress("2001:0DB8:0000:0001:0000:0000:0000:0001")?.description, "2001:db8:0:1::1")
    }

    /// Four bits of `mask` pick which of four 16-bit groups keep their value.
    static func groupMask(_ mask: UInt64) -> UInt64 {
        (0..<4).reduce(UInt64(0)) { m, g in mask & (1 << UInt64(g)) != 0 ? m | (0xffff << UInt64(16 * g)) : m }
    }
}
