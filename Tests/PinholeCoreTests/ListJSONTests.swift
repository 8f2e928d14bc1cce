import Foundation
import PinholeCore
import XCTest

/// `list`'s hand-written answer is the one JSONEncoder (`.sortedKeys`) wrote
/// before it, byte for byte, and decodes to the same pinholes, hostile
/// strings included.
final class ListJSONTests: XCTestCase {
    func info(service: String = "lab", family: IPFamily = .ipv4, initiator: String = "198.51.100.2",
              responder: String = "203.0.113.10", port: UInt16 = 50_000, created: String = "2026-12-07T03:50:00.123Z",
              expiresIn: Double = 29.998) -> PinholeInfo {
        PinholeInfo(service: service, mode: .passive, family: family, initiator: initiator, responder: responder,
                    port: port, session: .init(client: initiator, client_port: 40_000, server: responder, server_port: 21),
                    created: created, expires_in: expiresIn)
    }

    func encoderBytes(_ pinholes: [PinholeInfo]) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array(try e.encode(ControlResponse(ok: true, pinholes: pinholes)))
    }

    func assertSameAsEncoder(_ pinholes: [PinholeInfo], file: StaticString = #filePath, line: UInt = #line) throws {
        let mine = try XCTUnwrap(ListJSON.response(pinholes), file: file, line: line)
        XCTAssertEqual(String(decoding: mine, as: UTF8.self), String(decoding: try encoderBytes(pinholes), as: UTF8.self),
                       file: file, line: line)
        let back = try JSONDecoder().decode(ControlResponse.self, from: Data(mine))
        XCTAssertEqual(back, ControlResponse(ok: true, pinholes: pinholes), file: file, line: line)
    }

    func testEmptyList() throws {
        try assertSameAsEncoder([])
    }

    func testTypicalPinholesBothFamilies() throws {
        try assertSameAsEncoder([
            info(),
            info(family: .ipv6, initiator: "2001:db8::2", responder: "2001:db8:2::10", port: 65_535, expiresIn: 30),
            info(port: 1024, expiresIn: 0),
            info(expiresIn: 0.001),
            info(expiresIn: 299.5),
        ])
    }

    func testStringsThatNeedEscaping() throws {
        let nasty = ["a\"b", "back\\slash", "sl/ash", "tab\there", "nl\nx\r", "\u{01}\u{1f}\u{7f}", "\u{08}\u{0c}",
                     "ünïcödé ✓", "emoji 🔥", ""]
        try assertSameAsEncoder(nasty.map { info(service: $0, created: $0) })
    }

    func testEveryControlCharacter() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        try assertSameAsEncoder([info(service: all)])
    }

    func testNumbersAcrossTheirRange() throws {
        let values: [Double] = [0, 1, 0.5, 0.1, 1.25, 3600, 86_399.999, 1e-3, 123_456.789, 999_999_999.5]
        try assertSameAsEncoder(values.map { info(expiresIn: $0) })
    }

    /// Seeded random strings, mostly the bytes JSON escapes, and random
    /// expiries: 300 pinholes, each compared with JSONEncoder's line.
    func testRandomStringsAndNumbers() throws {
        var rng = CoreFixtures.SeededRNG(seed: 0x4a53_4f4e)
        let tricky: [Unicode.Scalar] = ["\"", "\\", "/", "\u{0}", "\u{1f}", "\u{7f}", "\n", "é", "\u{2028}", "\u{10ffff}"]
        func randomString() -> String {
            var s = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                if Bool.random(using: &rng), let c = tricky.randomElement(using: &rng) {
                    s.unicodeScalars.append(c)
                } else if let c = Unicode.Scalar(UInt32.random(in: 0...0x2fff, using: &rng)) {
                    s.unicodeScalars.append(c)
                }
            }
            return s
        }
        let pinholes = (0..<300).map { _ in
            info(service: randomString(), created: randomString(),
                 expiresIn: Double(UInt64.random(in: 0...3_600_000, using: &rng)) / 1000)
        }
        try assertSameAsEncoder(pinholes)
    }

    func testNonFiniteHasNoForm() {
        XCTAssertNil(ListJSON.response([info(), info(expiresIn: .infinity)]))
        XCTAssertNil(ListJSON.response([info(expiresIn: .nan)]))
    }
}
