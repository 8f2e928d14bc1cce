import Foundation
@testable import PinholeConfig
import PinholeCore
import XCTest

/// Hostile shapes that once crashed Yams' recursive composer (SIGSEGV at
/// 10,000 levels), and the files the nesting guard must still let through.
final class PolicyNestingTests: XCTestCase {
    func testDeepFlowNestingIsAnErrorWithItsPosition() {
        // The top-level mapping is level 1, so the 64th bracket is one too many.
        let cases: [(String, Int)] = [
            ("services: " + String(repeating: "[", count: 10_000), 10 + 64),
            ("services: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000), 10 + 64),
            ("services: " + String(repeating: "{a: ", count: 10_000), 11 + 4 * 63),
        ]
        for (yaml, column) in cases {
            assertSingleError(yaml, at: (1, column), contains: ["nested deeper than 64 levels"])
        }
    }

    func testDeepBlockNestingIsAnError() {
        let dashes = "services:\n" + String(repeating: "- ", count: 10_000) + "x\n"
        assertSingleError(dashes, at: (2, 2 * 63 + 1), contains: ["nested deeper than 64 levels"])
        let questions = String(repeating: "? ", count: 10_000) + "x\n"
        assertSingleError(questions, at: (1, 2 * 63 + 1), contains: ["nested deeper than 64 levels"])
        // One level per line, by indentation: 1 MiB allows about 1,400.
        let indented = (0..<200).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        assertSingleError(indented, at: (65, 65), contains: ["nested deeper than 64 levels"])
    }

    func testTheEstimateCountsLevelsAndStopsAtTheLimit() {
        XCTAssertNil(NestingGuard.firstTooDeep("a: " + String(repeating: "[", count: 63)))
        XCTAssertEqual(NestingGuard.firstTooDeep("a: " + String(repeating: "[", count: 64))?.column, 67)
        // Closed brackets give their levels back.
        XCTAssertNil(NestingGuard.firstTooDeep(String(repeating: "a: [[[[[[[[[[]]]]]]]]]]\n", count: 100)))
        // A flow collection may span lines; its lines' indentation is not a level.
        XCTAssertNil(NestingGuard.firstTooDeep("a: [\n" + String(repeating: "    1,\n", count: 100) + "]\n"))
    }

    func testBracketsThatAreNotStructureDoNotCount() {
        let deep = String(repeating: "[", count: 200)
        XCTAssertNil(NestingGuard.firstTooDeep("# \(deep)\nservices: []  # \(deep)\n"))
        XCTAssertNil(NestingGuard.firstTooDeep("a: '\(deep)'\nb: \"\(deep)\"\n"))
        XCTAssertNil(NestingGuard.firstTooDeep("a: 'it''s \(deep)'\nb: \"say \\\"\(deep)\\\"\"\n"))
        // A quote inside a plain scalar is text: the brackets after it count.
        XCTAssertNotNil(NestingGuard.firstTooDeep("a: don't \(deep)\n"))
    }

    func testAnUnclosedQuoteCannotHideTheNextLines() {
        // In a block scalar a lone quote is text; the guard must not stay "inside" it.
        let yaml = "a: |\n  'x\nservices: " + String(repeating: "[", count: 10_000) + "\n"
        assertSingleError(yaml, at: (3, 11 + 63), contains: ["nested deeper than 64 levels"])
    }

    func testEveryRealisticPolicyPasses() {
        XCTAssertNil(NestingGuard.firstTooDeep("""
        table: pinhole
        services:
          - name: public-ftp
            servers: [198.51.100.10, "2001:db8:2::10"]   # comment [
            clients:
              - any
            data_ports: 1024-65535
        sets: {table: inet filter, ipv4: a, ipv6: b}
        """))
    }

    func testAByteOrderMarkIsIgnored() throws {
        let path = NSTemporaryDirectory() + "pinhole-bom-\(getpid()).yaml"
        defer { unlink(path) }
        let text = "services:\n  - name: a\n    servers: [203.0.113.10]\nlimits:\n  sessions: 10\n"
        try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: URL(fileURLWithPath: path))
        let loaded = try PolicyLoader.load(path: path).get()
        XCTAssertEqual(loaded.policy.services.map(\.name), ["a"])
        XCTAssertEqual(loaded.sha256, Sha256.hex([0xEF, 0xBB, 0xBF] + Array(text.utf8)), "the hash is of the file's bytes")
        // Errors keep the columns an editor shows (which hides the mark).
        assertSingleError("\u{FEFF}services: 5\n", at: (1, 11), contains: ["services"])
    }
}
