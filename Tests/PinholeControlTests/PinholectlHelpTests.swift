import Foundation
import Glibc
import PinholeCore
@testable import PinholectlCLI
import XCTest

/// Help goes to stdout (so `pinholectl --help | less` shows it), errors to stderr.
final class PinholectlHelpTests: XCTestCase {
    private static let helpRequests = [["--help"], ["help"], ["list", "--help"], ["help", "list"], ["check", "-h"]]

    /// The built binary, run as a user would: help on stdout, nothing on stderr, status 0.
    func testHelpIsPrintedOnStdoutByTheBinary() throws {
        for arguments in PinholectlHelpTests.helpRequests {
            let run = try runBuiltProgram("pinholectl", arguments)
            XCTAssertEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stdout.contains("USAGE: pinholectl"), "\(arguments): stdout is \(run.stdout.debugDescription)")
            XCTAssertEqual(run.stderr, "", "\(arguments)")
        }
    }

    /// `--version` prints the version status reports, on stdout, status 0.
    func testVersionIsPrintedOnStdoutByTheBinary() throws {
        let run = try runBuiltProgram("pinholectl", ["--version"])
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.stdout, PinholeVersion.string + "\n")
        XCTAssertEqual(run.stderr, "")
    }

    func testUsageErrorsStayOnStderrWithStatusTwo() throws {
        for arguments in [["bogus"], ["list", "--bad"], []] {
            let run = try runBuiltProgram("pinholectl", arguments)
            XCTAssertEqual(run.status, 2, "\(arguments)")
            XCTAssertEqual(run.stdout, "", "\(arguments)")
            XCTAssertFalse(run.stderr.isEmpty, "\(arguments)")
        }
    }

    /// A socket path no unix socket can have is bad usage, before any connect.
    func testUnusableSocketPathIsStatusTwo() throws {
        for socket in ["", "/" + String(repeating: "s", count: 108)] {
            for arguments in [["--socket", socket, "status"], ["list", "--socket", socket]] {
                let run = try runBuiltProgram("pinholectl", arguments)
                XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
                XCTAssertTrue(run.stderr.contains("--socket: a socket path must be 1-107 bytes"), run.stderr)
            }
        }
    }

    /// The same mapping without a process: what main() does with each thrown error.
    func testTerminationOfAHelpRequestIsStdout() throws {
        for arguments in PinholectlHelpTests.helpRequests {
            let termination = try terminationOf(arguments)
            XCTAssertEqual(termination.status, 0, "\(arguments)")
            XCTAssertTrue(termination.stdout.contains("USAGE:"), "\(arguments)")
            XCTAssertEqual(termination.stderr, "", "\(arguments)")
        }
        let bad = try terminationOf(["list", "--bad"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stdout, "")
        XCTAssertTrue(bad.stderr.contains("--bad"), bad.stderr)
    }

    /// Parses and runs `arguments` the way main() does, returning what main() would print.
    private func terminationOf(_ arguments: [String]) throws -> Termination {
        do {
            var command = try Pinholectl.parseAsRoot(arguments)
            try command.run()
        } catch {
            return Termination.of(error)
        }
        throw XCTSkip("\(arguments) ran without an error")
    }
}
