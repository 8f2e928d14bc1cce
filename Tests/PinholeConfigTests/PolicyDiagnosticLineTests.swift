import PinholeConfig
import PinholeCore
import XCTest

/// `pinholectl check` prints one line per error, even when the error echoes
/// a value with a newline in it.
final class PolicyDiagnosticLineTests: XCTestCase {
    func testNameWithNewlineGivesOneLinePerError() {
        let errors = policyErrors("services:\n  - name: \"a\\nb\"\n    servers: [203.0.113.10]\n")
        XCTAssertEqual(errors.count, 1, "\(errors)")
        guard let e = errors.first else { return }
        XCTAssertTrue(e.message.contains("a\nb"), e.message)  // the message keeps the value as it is
        XCTAssertFalse(e.description.contains("\n"), e.description)
        XCTAssertTrue(e.description.hasPrefix("test.yaml:2:11: error: "), e.description)
        XCTAssertTrue(e.description.contains("a\\nb"), e.description)
        let all = PolicyErrors(diagnostics: errors + errors).description
        XCTAssertEqual(all.split(separator: "\n", omittingEmptySubsequences: false).count, 2, all)
    }

    func testPlainDiagnosticIsUnchanged() {
        let d = PolicyDiagnostic(file: "p.yaml", line: 3, column: 5, message: "bad \"x\"")
        XCTAssertEqual(d.description, "p.yaml:3:5: error: bad \"x\"")
        XCTAssertEqual(PolicyDiagnostic(file: "p.yaml", line: 1, column: 1, message: "t\tab\r\u{1}").description,
                       "p.yaml:1:1: error: t\\tab\\r\\x01")
    }
}
