import Foundation
import XCTest

/// What one run of a built program printed, and how it ended.
struct ProgramRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `name` (pinholectl, pinholed) from the build directory next to this
/// test bundle, as a user would; skips when it was not built.
func runBuiltProgram(_ name: String, _ arguments: [String]) throws -> ProgramRun {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let binary = testBinary.deletingLastPathComponent().appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw XCTSkip("no \(name) next to \(testBinary.path); build with --build-tests first")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes at once: a full stderr pipe must not stall the child.
    let errData = Box()
    let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errData.data == nil { usleep(1000) }
    return ProgramRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: errData.data ?? Data(), as: UTF8.self))
}

private final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    var data: Data? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
