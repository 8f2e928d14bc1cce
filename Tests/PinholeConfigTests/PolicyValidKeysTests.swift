import PinholeConfig
import PinholeCore
import XCTest

/// Every key with a valid non-default value lands in the model.
final class PolicyValidKeysTests: XCTestCase {
    func testEveryTopLevelKey() throws {
        let policy = try XCTUnwrap(loadPolicy("""
            table: fw_pinhole2
            nflog_group: 0
            socket: /run/x/ctl.sock
            socket_group: ftp-admins
            limits:
              pinholes_per_session: 64
              sessions: 1
              pinholes: 1000000
            services: []
            """))
        XCTAssertEqual(policy.table, "fw_pinhole2")
        XCTAssertEqual(policy.nflogGroup, 0)
        XCTAssertEqual(policy.socket, "/run/x/ctl.sock")
        XCTAssertEqual(policy.socketGroup, "ftp-admins")
        XCTAssertEqual(policy.limits, Limits(pinholesPerSession: 64, sessions: 1, pinholes: 1_000_000))
    }

    func testEveryServiceKey() throws {
        let policy = try XCTUnwrap(loadPolicy("""
            services:
              - name: a-1_b
                servers: [203.0.113.0/24, "2001:db8:2::/48"]
                clients: [198.51.100.7, 2001:db8:9::/64]
                control_port: 2121
                passive: false
                active: true
                data_ports: 50000-50010
                pinhole_timeout: 2m
                enforce: false
            """))
        let s = try XCTUnwrap(policy.services.first)
        XCTAssertEqual(s.name, "a-1_b")
        XCTAssertEqual(s.servers, [IPPrefix("203.0.113.0/24")!, IPPrefix("2001:db8:2::/48")!])
        XCTAssertEqual(s.clients, [IPPrefix("198.51.100.7")!, IPPrefix("2001:db8:9::/64")!])
        XCTAssertEqual(s.controlPort, 2121)
        XCTAssertFalse(s.passive)
        XCTAssertTrue(s.active)
        XCTAssertEqual(s.dataPorts, PortRange(lower: 50000, upper: 50010))
        XCTAssertEqual(s.pinholeTimeoutMs, 120_000)
        XCTAssertFalse(s.enforce)
    }

    func testDataPortsSinglePortAndBounds() throws {
        XCTAssertEqual(loadPolicy(serviceYAML("    data_ports: 2121"))?.services.first?.dataPorts, PortRange(lower: 2121, upper: 2121))
        XCTAssertEqual(loadPolicy(serviceYAML("    data_ports: \"1024-65535\""))?.services.first?.dataPorts, PortRange(lower: 1024, upper: 65535))
        XCTAssertEqual(loadPolicy(serviceYAML("    data_ports: 65535"))?.services.first?.dataPorts, PortRange(lower: 65535, upper: 65535))
    }

    func testDurations() {
        let cases: [(String, UInt64)] = [("1000ms", 1000), ("1500ms", 1500), ("1s", 1000), ("30s", 30_000), ("2m", 120_000),
                                         ("1h", 3_600_000), ("45", 45_000), ("3600", 3_600_000), ("\"10s\"", 10_000)]
        for (text, ms) in cases {
            XCTAssertEqual(loadPolicy(serviceYAML("    pinhole_timeout: \(text)"))?.services.first?.pinholeTimeoutMs, ms, text)
        }
    }

    func testClientsAnyForms() {
        for form in ["any", "[any]", "\n      - any"] {
            XCTAssertEqual(loadPolicy(serviceYAML("    clients: \(form)"))?.services.first?.clients, [], form)
        }
    }

    func testAttachSetsForms() throws {
        let cases: [(String, String, String)] = [("inet filter", "inet", "filter"), ("filter", "inet", "filter"),
                                                 ("ip fw", "ip", "fw"), ("ip6  fw6", "ip6", "fw6")]
        for (text, family, table) in cases {
            let policy = try XCTUnwrap(loadPolicy("sets: {table: \(text), ipv4: s4, ipv6: s6}\nservices: []\n"), text)
            XCTAssertEqual(policy.attach, AttachSets(family: family, table: table, ipv4: "s4", ipv6: "s6"), text)
            XCTAssertEqual(policy.pinholeSet(.ipv6), SetLocation(family: family, table: table, set: "s6"))
        }
    }

    func testSameServersOnDifferentControlPortsAreFine() throws {
        let policy = try XCTUnwrap(loadPolicy("""
            services:
              - {name: a, servers: [203.0.113.10]}
              - {name: b, servers: [203.0.113.0/24], control_port: 2121}
            """))
        XCTAssertEqual(policy.services.map(\.name), ["a", "b"])
    }

    func testBooleanCaseVariants() {
        XCTAssertEqual(loadPolicy(serviceYAML("    active: True"))?.services.first?.active, true)
        XCTAssertEqual(loadPolicy(serviceYAML("    passive: FALSE\n    active: true"))?.services.first?.passive, false)
    }
}
