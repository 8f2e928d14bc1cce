import PinholeConfig
import PinholeCore
import XCTest

/// Parses `yaml`, failing the test with every diagnostic if it does not load.
func loadPolicy(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> Policy? {
    switch PolicyLoader.parse(yaml, file: "test.yaml") {
    case .success(let policy): return policy
    case .failure(let errors):
        XCTFail("expected a valid policy, got:\n\(errors)", file: file, line: line)
        return nil
    }
}

/// The diagnostics for `yaml`, failing the test if it loads.
func policyErrors(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [PolicyDiagnostic] {
    switch PolicyLoader.parse(yaml, file: "test.yaml") {
    case .success(let policy):
        XCTFail("expected errors, got a valid policy: \(policy)", file: file, line: line)
        return []
    case .failure(let errors): return errors.diagnostics
    }
}

/// Asserts exactly one diagnostic, at `line:column`, whose message contains every fragment.
func assertSingleError(_ yaml: String, at position: (Int, Int), contains fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
    let errors = policyErrors(yaml, file: file, line: line)
    guard errors.count == 1, let e = errors.first else {
        XCTFail("expected one error, got \(errors.count):\n\(errors.map(\.description).joined(separator: "\n"))", file: file, line: line)
        return
    }
    XCTAssertEqual("\(e.line):\(e.column)", "\(position.0):\(position.1)", "position of: \(e)", file: file, line: line)
    for fragment in fragments {
        XCTAssertTrue(e.message.contains(fragment), "\"\(e.message)\" lacks \"\(fragment)\"", file: file, line: line)
    }
}

/// A one-service policy with `extra` lines added to the service (indented by the caller).
func serviceYAML(_ extra: String = "") -> String {
    """
    services:
      - name: ftp
        servers: [203.0.113.10]
    \(extra)
    """
}
