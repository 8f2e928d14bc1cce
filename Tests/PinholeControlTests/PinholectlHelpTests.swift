import Foundation
import Glibc
@testable import pinholectl
import XCTest

/// Help goes to stdout (so `pinholectl --help | less` shows it), errors to stderr.
final class PinholectlHelpTests: XCTestCase {
    private static let helpRequests = [["--help"], ["help"], ["list", "--help"], ["help", "list"], ["check", "-h"]]

    /// The built binary, run as a user would: help on stdout, nothing on stderr, status 0.
    func testHelpIsPrintedOnStdoutByTheBinary() throws {
        for arguments in PinholectlHelpTests.helpRequests {
            let run = try runPinholectl(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stdout.contains("USAGE: pinholectl"), "\(arguments): stdout is \(run.stdout.debugDescription)")
            XCTAssertEqual(run.stderr, "", "\(arguments)")
        }
    }

    func testUsageErrorsStayOnStderrWithStatusTwo() throws {
        for arguments in [["bogus"], ["list", "--bad"], []] {
            let run = try runPinholectl(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments)")
            XCTAssertEqual(run.stdout, "", "\(arguments)")
            XCTAssertFalse(run.stderr.isEmpty, "\(arguments)")
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

/// Runs the pinholectl built next to this test bundle.
private func runPinholectl(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let binary = testBinary.deletingLastPathComponent().appendingPathComponent("pinholectl")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw XCTSkip("no pinholectl next to \(testBinary.path); build with --build-tests first")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
