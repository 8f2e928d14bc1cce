import Foundation
import XCTest

/// pinholed's flags: the same rules as the policy keys they override.
final class PinholedFlagTests: XCTestCase {
    /// A relative --socket is refused as bad usage (64, like other bad flags),
    /// before the policy is read or anything is changed.
    func testSocketFlagMustBeAnAbsolutePath() throws {
        for socket in ["control.sock", "run/control.sock", "./c.sock", ""] {
            let run = try runBuiltProgram("pinholed", ["--socket", socket, "--print-ruleset", "--policy", "/nonexistent/policy.yaml"])
            XCTAssertEqual(run.status, 64, "--socket \(socket.debugDescription): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--socket: \"\(socket)\" is not an absolute path"), run.stderr)
            XCTAssertEqual(run.stdout, "")
        }
        let long = "/" + String(repeating: "x", count: 120)
        let run = try runBuiltProgram("pinholed", ["--socket", long, "--print-ruleset", "--policy", "/nonexistent/policy.yaml"])
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("at most 107"), run.stderr)
    }

    /// An absolute --socket passes the flag check (the missing policy is then the error, status 2).
    func testAbsoluteSocketFlagIsAccepted() throws {
        let run = try runBuiltProgram("pinholed", ["--socket", "/run/x/control.sock", "--print-ruleset", "--policy", "/nonexistent/policy.yaml"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("/nonexistent/policy.yaml:1:1: error: cannot read the policy file"), run.stderr)
    }

    /// --log-level takes INTERFACE's six levels only; swift-log's `critical` is not one.
    func testLogLevelIsOneOfTheSix() throws {
        for bad in ["critical", "INFO", "bogus", ""] {
            let run = try runBuiltProgram("pinholed", ["--log-level", bad, "--print-ruleset", "--policy", "/nonexistent/policy.yaml"])
            XCTAssertEqual(run.status, 64, "--log-level \(bad.debugDescription): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("--log-level must be one of trace, debug, info, notice, warning, error"), run.stderr)
        }
        for ok in ["trace", "debug", "info", "notice", "warning", "error"] {
            let run = try runBuiltProgram("pinholed", ["--log-level", ok, "--print-ruleset", "--policy", "/nonexistent/policy.yaml"])
            XCTAssertEqual(run.status, 2, "--log-level \(ok): \(run.stderr)")
        }
    }

    /// --copy-interval-us is bounded like --busy-poll-us; its check comes before the policy is read.
    func testCopyIntervalFlagIsBounded() throws {
        let over = try runBuiltProgram("pinholed", ["--copy-interval-us", "10001", "--print-ruleset",
                                                    "--policy", "/nonexistent/policy.yaml"])
        XCTAssertEqual(over.status, 64, over.stderr)
        XCTAssertTrue(over.stderr.contains("--copy-interval-us must be at most 10000"), over.stderr)
        for ok in ["0", "10000"] {
            let run = try runBuiltProgram("pinholed", ["--copy-interval-us", ok, "--print-ruleset",
                                                       "--policy", "/nonexistent/policy.yaml"])
            XCTAssertEqual(run.status, 2, "--copy-interval-us \(ok): \(run.stderr)")
        }
    }
}
