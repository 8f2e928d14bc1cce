import PinholeConfig
import PinholeCore
import XCTest

final class PolicyDefaultsTests: XCTestCase {
    func testMinimalServiceGetsEveryDefault() throws {
        let policy = try XCTUnwrap(loadPolicy(serviceYAML()))
        XCTAssertEqual(policy.table, "pinhole")
        XCTAssertEqual(policy.nflogGroup, 2121)
        XCTAssertEqual(policy.socket, "/run/nft-pinhole/control.sock")
        XCTAssertNil(policy.socketGroup)
        XCTAssertNil(policy.attach)
        XCTAssertEqual(policy.limits, Limits(pinholesPerSession: 4, sessions: 10_000, pinholes: 20_000))
        let s = try XCTUnwrap(policy.services.first)
        XCTAssertEqual(s.name, "ftp")
        XCTAssertEqual(s.servers, [IPPrefix("203.0.113.10")!])
        XCTAssertEqual(s.clients, [])
        XCTAssertEqual(s.controlPort, 21)
        XCTAssertTrue(s.passive)
        XCTAssertFalse(s.active)
        XCTAssertEqual(s.dataPorts, PortRange(lower: 1024, upper: 65535))
        XCTAssertEqual(s.pinholeTimeoutMs, 30_000)
        XCTAssertTrue(s.enforce)
    }

    func testEmptyServicesIsValidAndOpensNothing() throws {
        let policy = try XCTUnwrap(loadPolicy("services: []\n"))
        XCTAssertEqual(policy.services, [])
        XCTAssertEqual(policy, Policy())
    }

    /// No default for services: a policy without the key is refused
    /// (PolicyServicesRequiredTests has the messages).
    func testMissingServicesKeyIsAnError() {
        XCTAssertEqual(policyErrors("table: fw\n").count, 1)
    }

    func testEnforceDefaultsToFalseInAttachMode() throws {
        let policy = try XCTUnwrap(loadPolicy("""
            sets: {table: inet filter, ipv4: p4, ipv6: p6}
            services:
              - {name: ftp, servers: [203.0.113.10]}
            """))
        XCTAssertEqual(policy.services.first?.enforce, false)
    }

    func testDefaultsMatchTheCoreModel() {
        let service = Service(name: "x", servers: [])
        XCTAssertEqual(PolicyDefaults.controlPort, service.controlPort)
        XCTAssertEqual(PolicyDefaults.dataPorts, service.dataPorts)
        XCTAssertEqual(PolicyDefaults.pinholeTimeoutMs, service.pinholeTimeoutMs)
        XCTAssertEqual(PolicyDefaults.passive, service.passive)
        XCTAssertEqual(PolicyDefaults.active, service.active)
        XCTAssertEqual(PolicyDefaults.enforce, service.enforce)
        XCTAssertEqual(Limits(), Limits(pinholesPerSession: PolicyDefaults.pinholesPerSession,
                                        sessions: PolicyDefaults.sessions, pinholes: PolicyDefaults.pinholes))
    }
}
