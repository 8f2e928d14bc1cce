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
        // A JSON-style quoted value right after a quoted key's colon.
        XCTAssertNil(NestingGuard.firstTooDeep("a: {\"x\":\"\(deep)\"}\n"))
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
    /// Shapes the guard's estimate misses (found in review): a quote after a
    /// plain scalar's `-` or `:` is text, and a bracket inside a multi-line
    /// quoted string is text too. The first the guard now reads right; the
    /// second reaches Yams, on a stack sized for it, and must not crash.
    func testCraftedShapesAreRefusedOrParsedNeverACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        for yaml in ["services: [-', \(deep)]\n", "services: [a-', \(deep)]\n", "services: {a:', \(deep)}\n"] {
            XCTAssertNotNil(NestingGuard.firstTooDeep(yaml), yaml.prefix(20).debugDescription)
        }
        // 300 lines that each nest 50 levels deeper, hidden from the guard:
        // 15,050 levels, more than crashed on the main thread's stack (10,000).
        // (Yams takes time quadratic in the depth: 150,050 levels took 141 s.)
        let k = 50
        var lines = ["services: " + String(repeating: "[", count: k) + "\"x"]
        for _ in 0..<300 {
            lines.append(String(repeating: "]", count: k) + "\"," + String(repeating: "[", count: k) + "\"x")
        }
        lines.append("\"" + String(repeating: "]", count: k * 301))
        let hidden = lines.joined(separator: "\n") + "\n"
        XCTAssertNil(NestingGuard.firstTooDeep(hidden), "the guard misses this one; the backstop must hold")
        XCTAssertGreaterThan(DeepStack.maxDepth(hidden), k * 301)
        guard case .failure(let errors) = PolicyLoader.parse(hidden, file: "t.yaml") else {
            return XCTFail("a list of lists is not a list of services")
        }
        XCTAssertFalse(errors.diagnostics.isEmpty)
    }

    func testTheDepthBoundCountsIndicatorsNotAddresses() {
        XCTAssertEqual(DeepStack.maxDepth("servers: [\"2001:db8::10\", 2001:db8::/32]\n"), 1 + 1 + 1)
        XCTAssertEqual(DeepStack.maxDepth("- a: 1\n- b\n"), 1 + 3)
        XCTAssertEqual(DeepStack.maxDepth("{\"a\":1}"), 1 + 2)
        // More than the limit is refused unparsed, without a thread.
        let flat = "# " + String(repeating: "- ", count: DeepStack.maxLevels) + "\n"
        assertSingleError(flat, at: (1, 1), contains: ["at most \(DeepStack.maxLevels)"])
    }
}
