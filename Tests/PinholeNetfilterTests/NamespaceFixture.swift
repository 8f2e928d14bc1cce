import Foundation
import XCTest
import PinholeNetfilter

/// Root tests run their body on a thread inside a fresh network namespace
/// (`ip netns add`), with TEST-NET addresses on its loopback; the namespace
/// is deleted afterwards whatever happens.
enum NamespaceFixture {
    static let serverV4 = "198.51.100.1"
    static let clientV4 = "198.51.100.2"
    static let serverV6 = "2001:db8::1"
    static let clientV6 = "2001:db8::2"

    nonisolated(unsafe) private static var counter = 0

    static func skipUnlessRoot() throws {
        if getuid() != 0 { throw XCTSkip("needs root (network namespaces, nftables, NFLOG, conntrack); run the tests as root") }
    }

    @discardableResult
    static func sh(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if p.terminationStatus != 0 { throw NSError(domain: "sh", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(args.joined(separator: " ")): \(text)"]) }
        return text
    }

    /// Runs `body(namespaceName)` on a thread that has entered a new namespace; rethrows its error.
    static func run(timeout: TimeInterval = 60, _ body: @escaping @Sendable (String) throws -> Void) throws {
        counter += 1
        // A shared host may reserve a prefix for test namespaces.
        let prefix = ProcessInfo.processInfo.environment["PINHOLE_TEST_NETNS_PREFIX"] ?? "pinholetest"
        let name = "\(prefix)-\(getpid())-\(counter)"
        try sh(["ip", "netns", "add", name])
        defer { _ = try? sh(["ip", "netns", "del", name]) }
        try sh(["ip", "-n", name, "link", "set", "lo", "up"])
        try sh(["ip", "-n", name, "addr", "add", "\(serverV4)/24", "dev", "lo"])
        try sh(["ip", "-n", name, "addr", "add", "\(clientV4)/24", "dev", "lo"])
        try sh(["ip", "-n", name, "addr", "add", "\(serverV6)/64", "dev", "lo", "nodad"])
        try sh(["ip", "-n", name, "addr", "add", "\(clientV6)/64", "dev", "lo", "nodad"])

        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let thread = Thread {
            defer { done.signal() }
            do {
                try NetworkNamespace.enter(named: name)
                try body(name)
            } catch {
                result.set(error)
            }
        }
        thread.start()
        guard done.wait(timeout: .now() + timeout) == .success else {
            XCTFail("namespace test \(name) did not finish within \(timeout) s")
            return
        }
        if let e = result.get() { throw e }
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error) { lock.lock(); error = e; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}
