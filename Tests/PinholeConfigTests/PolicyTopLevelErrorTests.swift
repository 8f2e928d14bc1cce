@testable import PinholeConfig
import PinholeCore
import XCTest

final class PolicyTopLevelErrorTests: XCTestCase {
    func testEmptyFile() {
        assertSingleError("", at: (1, 1), contains: ["empty", "services"])
        assertSingleError("# only a comment\n", at: (1, 1), contains: ["empty"])
    }

    func testTopLevelNotAMapping() {
        assertSingleError("- a\n- b\n", at: (1, 1), contains: ["expected a policy", "found a list"])
    }

    func testYAMLSyntaxErrorHasYamsMark() {
        assertSingleError("services: [\n  - name: x\n", at: (2, 3), contains: ["YAML syntax"])
        assertSingleError("table: pinhole\n\tnflog_group: 1\n", at: (2, 1), contains: ["YAML syntax"])
    }

    func testUnknownKeySuggestsTheClosest() {
        assertSingleError("services: []\nnflog_gruop: 5\n", at: (2, 1),
                          contains: ["nflog_gruop: unknown key", "did you mean \"nflog_group\"?", "Allowed keys: table, nflog_group"])
    }

    func testUnknownKeyWithoutLikelyTypoOnlyListsAllowed() {
        let errors = policyErrors("services: []\ncolour: red\n")
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors[0].message, "colour: unknown key; allowed keys: " + PolicyTopLevelErrorTests.topLevelKeys)
    }

    /// A byte the YAML reader refuses is reported where it is, on one line.
    func testControlCharacterIsReportedWhereItIs() {
        for (text, line, column, code) in [("services: []\n\u{0}\n", 2, 1, "0000"), ("table: a\u{1}b\nservices: []\n", 1, 9, "0001"),
                                           ("services: []\r\n# \u{1F}\n", 2, 3, "001F")] {
            guard case .failure(let errors) = PolicyLoader.parse(text, file: "p.yaml") else { XCTFail("parsed \(text.debugDescription)"); continue }
            XCTAssertEqual(errors.diagnostics.map(\.description),
                           ["p.yaml:\(line):\(column): error: YAML syntax: control characters are not allowed (U+\(code))"], text.debugDescription)
        }
    }

    /// Integers are digits only: no sign, as the policy reference says.
    func testIntegerWithASignIsRefused() {
        assertSingleError("nflog_group: +5\nservices: []\n", at: (1, 14), contains: ["nflog_group: expected an integer 0-65535, found \"+5\""])
        assertSingleError("limits:\n  sessions: +10\nservices: []\n", at: (2, 13), contains: ["limits.sessions: expected an integer"])
        assertSingleError("nflog_group: -0\nservices: []\n", at: (1, 14), contains: ["nflog_group: -0 is out of range"])
    }

    static let topLevelKeys = "table, nflog_group, socket, socket_group, services, limits, sets"

    /// Two neighbouring letters swapped is one typo, as a missing letter is.
    func testUnknownKeySuggestsAcrossASwap() {
        let errors = policyErrors("tabel: pinhole\nservices: []\n")
        XCTAssertEqual(errors.map(\.message),
                       ["tabel: unknown key; did you mean \"table\"? Allowed keys: " + PolicyTopLevelErrorTests.topLevelKeys])
        XCTAssertEqual(KeySuggestion.distance(Array("tabel"), Array("table")), 1)
        XCTAssertEqual(KeySuggestion.distance(Array("ab"), Array("ba")), 1)
        XCTAssertEqual(KeySuggestion.distance(Array("abc"), Array("ca")), 3)
        XCTAssertEqual(KeySuggestion.distance(Array(""), Array("ab")), 2)
        XCTAssertEqual(KeySuggestion.distance(Array("services"), Array("services")), 0)
    }

    func testDuplicateKey() {
        assertSingleError("table: a\nservices: []\ntable: b\n", at: (3, 1), contains: ["table: duplicate key", "line 1"])
    }

    func testTable() {
        assertSingleError("table: 9lives\nservices: []\n", at: (1, 8), contains: ["\"9lives\" is not a valid nftables table name", "letter"])
        assertSingleError("table: \(String(repeating: "a", count: 33))\nservices: []\n", at: (1, 8), contains: ["not a valid"])
        assertSingleError("table: [a]\nservices: []\n", at: (1, 8), contains: ["table: expected", "found a list"])
    }

    func testNflogGroup() {
        assertSingleError("nflog_group: 65536\nservices: []\n", at: (1, 14), contains: ["nflog_group: 65536 is out of range", "0-65535"])
        assertSingleError("nflog_group: -1\nservices: []\n", at: (1, 14), contains: ["out of range"])
        assertSingleError("nflog_group: \"5\"\nservices: []\n", at: (1, 14), contains: ["expected an integer 0-65535", "\"5\""])
        assertSingleError("nflog_group: 1.5\nservices: []\n", at: (1, 14), contains: ["expected an integer"])
        assertSingleError("nflog_group:\nservices: []\n", at: (1, 13), contains: ["expected an integer", "found nothing"])
    }

    func testSocket() {
        assertSingleError("socket: run/x.sock\nservices: []\n", at: (1, 9), contains: ["not an absolute path"])
        assertSingleError("socket: /\(String(repeating: "x", count: 120))\nservices: []\n", at: (1, 9), contains: ["at most 107"])
    }

    func testSocketGroup() {
        assertSingleError("socket_group: \"bad group\"\nservices: []\n", at: (1, 15), contains: ["not a valid group name"])
        assertSingleError("socket_group: [adm]\nservices: []\n", at: (1, 15), contains: ["expected a group name"])
    }

    func testServicesNotAList() {
        assertSingleError("services: {name: x}\n", at: (1, 11), contains: ["expected a list of services", "[] for none"])
        assertSingleError("services:\n", at: (1, 10), contains: ["found nothing"])
    }

    func testLimits() {
        assertSingleError("limits:\n  pinholes_per_session: 65\nservices: []\n", at: (2, 25), contains: ["limits.pinholes_per_session: 65 is out of range", "1-64"])
        assertSingleError("limits:\n  sessions: 0\nservices: []\n", at: (2, 13), contains: ["limits.sessions", "1-1000000"])
        assertSingleError("limits:\n  pinholes: 1000001\nservices: []\n", at: (2, 13), contains: ["limits.pinholes", "1-1000000"])
        assertSingleError("limits:\n  pinhole: 5\nservices: []\n", at: (2, 3), contains: ["limits.pinhole: unknown key", "did you mean \"pinholes\"?"])
        assertSingleError("limits: 5\nservices: []\n", at: (1, 9), contains: ["limits: expected limits"])
    }

    func testSetsErrors() {
        assertSingleError("sets: {table: bridge filter, ipv4: a, ipv6: b}\nservices: []\n", at: (1, 15), contains: ["family inet, ip or ip6"])
        assertSingleError("sets: {table: a b c, ipv4: a, ipv6: b}\nservices: []\n", at: (1, 15), contains: ["is not a table"])
        assertSingleError("sets: {table: inet pinhole, ipv4: a, ipv6: b}\nservices: []\n", at: (1, 15), contains: ["pinholed's own table"])
        assertSingleError("sets: {table: filter, ipv4: a}\nservices: []\n", at: (1, 7), contains: ["missing key \"ipv6\""])
        assertSingleError("sets: {table: filter, ipv4: s, ipv6: s}\nservices: []\n", at: (1, 38), contains: ["also the IPv4 set"])
        assertSingleError("sets: {table: filter, ipv4: 4set, ipv6: s}\nservices: []\n", at: (1, 29), contains: ["sets.ipv4", "not a valid set name"])
    }

    func testEnforceTrueInAttachMode() {
        let yaml = """
            sets: {table: inet filter, ipv4: p4, ipv6: p6}
            services:
              - name: ftp
                servers: [203.0.113.10]
                enforce: true
            """
        assertSingleError(yaml, at: (5, 14), contains: ["in attach mode the user's rules enforce; set enforce: false"])
    }
}

/// `services:` is required in every policy, not only in an empty file.
final class PolicyServicesRequiredTests: XCTestCase {
    func testAPolicyWithoutServicesIsAnErrorAtItsFirstKey() {
        assertSingleError("{}\n", at: (1, 1), contains: ["missing key \"services\"", "\"services: []\" opens nothing"])
        assertSingleError("table: x\n", at: (1, 1), contains: ["missing key \"services\""])
        assertSingleError("# the firewall's pinholes\n\ntable: x\nnflog_group: 5\n", at: (3, 1), contains: ["missing key \"services\""])
    }

    func testAnEmptyServicesListStillLoadsAndOpensNothing() throws {
        XCTAssertEqual(try XCTUnwrap(loadPolicy("services: []\n")).services, [])
        XCTAssertEqual(try XCTUnwrap(loadPolicy("table: x\nservices: []\n")).table, "x")
    }

    /// An empty file and an empty mapping are the same mistake and get the same verdict.
    func testEmptyFileAndEmptyMappingAgree() {
        for text in ["", "# nothing\n", "{}\n", "---\n{}\n"] {
            let errors = policyErrors(text)
            XCTAssertEqual(errors.count, 1, "\(text.debugDescription): \(errors)")
            XCTAssertTrue(errors.first?.message.contains("services") == true, "\(text.debugDescription): \(errors)")
        }
    }
}
