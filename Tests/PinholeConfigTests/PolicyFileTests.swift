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
        XCTAssertTrue(dirErrors.diagnostics[0].message.contains("Is a directory"), dirErrors.description)
    }

    func testInvalidUTF8() throws {
        let path = NSTemporaryDirectory() + "pinhole-utf8-\(getpid()).yaml"
        defer { unlink(path) }
        try Data([0x74, 0x3a, 0x20, 0xff, 0x0a]).write(to: URL(fileURLWithPath: path))
        guard case .failure(let errors) = PolicyLoader.load(path: path) else { return XCTFail("loaded invalid UTF-8") }
        XCTAssertTrue(errors.description.contains("not valid UTF-8"), errors.description)
    }
}
