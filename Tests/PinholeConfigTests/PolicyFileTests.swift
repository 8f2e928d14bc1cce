import Foundation
import PinholeConfig
import PinholeCore
import XCTest

final class PolicyFileTests: XCTestCase {
    /// policies/ at the package root, found from this source file.
    private var policiesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies")
    }

    private func load(_ name: String) throws -> LoadedPolicy {
        switch PolicyLoader.load(path: policiesDirectory.appendingPathComponent(name).path) {
        case .success(let loaded): return loaded
        case .failure(let errors):
            XCTFail("\(name):\n\(errors)")
            throw errors
        }
    }

    func testEveryExamplePolicyLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: policiesDirectory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(names, ["attach.yaml", "default.yaml", "protect-clients.yaml", "router.yaml", "server-host.yaml"])
        for name in names { _ = try load(name) }
    }

    func testExamplesSayWhatTheyClaim() throws {
        XCTAssertEqual(try load("default.yaml").policy.services, [])
        let router = try load("router.yaml").policy.services
        XCTAssertEqual(router.first?.servers, [IPPrefix("203.0.113.10")!, IPPrefix("2001:db8:2::10")!])
        XCTAssertEqual(router.first?.clients, [])
        XCTAssertEqual(try load("protect-clients.yaml").policy.services.first?.active, true)
        let attach = try load("attach.yaml").policy
        XCTAssertEqual(attach.attach, AttachSets(family: "inet", table: "filter", ipv4: "ftp_pinholes4", ipv6: "ftp_pinholes6"))
        XCTAssertEqual(attach.services.first?.enforce, false)
    }

    func testLoadHashesTheFileBytes() throws {
        let path = NSTemporaryDirectory() + "pinhole-hash-\(getpid()).yaml"
        defer { unlink(path) }
        try Data("services: []\n".utf8).write(to: URL(fileURLWithPath: path))
        let loaded = try XCTUnwrap(try? PolicyLoader.load(path: path).get())
        XCTAssertEqual(loaded.path, path)
        XCTAssertEqual(loaded.sha256, Sha256.hex(Array("services: []\n".utf8)))
        XCTAssertEqual(loaded.sha256.count, 64)
    }

    func testUnreadableFileGivesTheOSReasonAtLineOne() {
        let path = "/nonexistent/pinhole/policy.yaml"
        guard case .failure(let errors) = PolicyLoader.load(path: path) else { return XCTFail("loaded a missing file") }
        XCTAssertEqual(errors.diagnostics.map(\.description), ["\(path):1:1: error: cannot read the policy file: No such file or directory"])
        guard case .failure(let dirErrors) = PolicyLoader.load(path: "/") else { return XCTFail("loaded a directory") }
        XCTAssertEqual(dirErrors.diagnostics.map(\.description), ["/:1:1: error: cannot read the policy file: it is a directory, not a regular file"])
    }

    /// `socket_group` must name a group of this host when a file is loaded
    /// (`pinholectl check`, pinholed's start and reload): otherwise pinholed
    /// would pass the check and then fail to make its socket, every restart.
    func testSocketGroupMustExistWhenAFileIsLoaded() throws {
        let path = NSTemporaryDirectory() + "pinhole-group-\(getpid()).yaml"
        defer { unlink(path) }
        let missing = "no-such-group-\(getpid())"
        try Data("socket_group: \(missing)\nservices: []\n".utf8).write(to: URL(fileURLWithPath: path))
        guard case .failure(let errors) = PolicyLoader.load(path: path) else { return XCTFail("loaded a missing group") }
        XCTAssertEqual(errors.diagnostics.map(\.description),
                       ["\(path):1:15: error: socket_group: no group \"\(missing)\" on this host (`getent group \(missing)` finds none); create it or leave socket_group out"])
        // Parsed without the host, only its spelling is checked.
        XCTAssertNotNil(try? PolicyLoader.parse("socket_group: \(missing)\nservices: []\n", file: "p").get())

        try Data("socket_group: root\nservices: []\n".utf8).write(to: URL(fileURLWithPath: path))
        let loaded = try XCTUnwrap(try? PolicyLoader.load(path: path).get())
        XCTAssertEqual(loaded.policy.socketGroup, "root")
    }

    /// A FIFO would block the open until someone writes to it: on SIGHUP,
    /// pinholed's only thread. It is refused at once instead.
    func testFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let path = NSTemporaryDirectory() + "pinhole-fifo-\(getpid()).yaml"
        unlink(path)
        XCTAssertEqual(mkfifo(path, 0o600), 0, String(cString: strerror(errno)))
        defer { unlink(path) }
        // Should the open block after all, a writer comes after 5 s and the
        // load succeeds: a failure, not a hung test run.
        let unblock = Thread {
            Thread.sleep(forTimeInterval: 5)
            let fd = open(path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 {
                _ = write(fd, "services: []\n", 13)
                close(fd)
            }
        }
        unblock.start()
        guard case .failure(let errors) = PolicyLoader.load(path: path) else { return XCTFail("loaded a FIFO") }
        XCTAssertEqual(errors.diagnostics.map(\.description), ["\(path):1:1: error: cannot read the policy file: it is a FIFO, not a regular file"])
    }

    func testInvalidUTF8() throws {
        let path = NSTemporaryDirectory() + "pinhole-utf8-\(getpid()).yaml"
        defer { unlink(path) }
        try Data([0x74, 0x3a, 0x20, 0xff, 0x0a]).write(to: URL(fileURLWithPath: path))
        guard case .failure(let errors) = PolicyLoader.load(path: path) else { return XCTFail("loaded invalid UTF-8") }
        XCTAssertTrue(errors.description.contains("not valid UTF-8"), errors.description)
    }
}
