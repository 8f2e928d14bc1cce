import PinholeConfig
import PinholeCore
import XCTest

final class PolicyServiceErrorTests: XCTestCase {
    func testMissingRequiredKeys() {
        let errors = policyErrors("services:\n  - control_port: 21\n")
        XCTAssertEqual(errors.map { "\($0.line):\($0.column)" }, ["2:5", "2:5"])
        XCTAssertTrue(errors[0].message.contains("missing required key \"name\""), errors[0].message)
        XCTAssertTrue(errors[1].message.contains("missing required key \"servers\""), errors[1].message)
    }

    func testServiceNotAMapping() {
        assertSingleError("services:\n  - ftp\n", at: (2, 5), contains: ["services[0]: expected a service"])
    }

    func testUnknownServiceKeySuggests() {
        assertSingleError(serviceYAML("    pinhole_timout: 5s"), at: (4, 5),
                          contains: ["services[0].pinhole_timout: unknown key", "did you mean \"pinhole_timeout\"?", "Allowed keys in services[0]:"])
    }

    func testDuplicateServiceKey() {
        assertSingleError(serviceYAML("    servers: [203.0.113.11]"), at: (4, 5), contains: ["services[0].servers: duplicate key", "line 3"])
    }

    func testName() {
        assertSingleError("services:\n  - name: FTP\n    servers: [203.0.113.10]\n", at: (2, 11), contains: ["\"FTP\" is not a valid service name"])
        assertSingleError("services:\n  - name: -x\n    servers: [203.0.113.10]\n", at: (2, 11), contains: ["not a valid service name"])
    }

    /// Element comments (PinholeNetfilterTests.ElementCommentTests) are sized for names of 32 bytes at most.
    func testLongestServiceNameIs32Bytes() {
        let longest = "public-ftp-for-partners-eu-west1"
        XCTAssertEqual(longest.utf8.count, 32)
        XCTAssertEqual(loadPolicy("services:\n  - name: \(longest)\n    servers: [203.0.113.10]\n")?.services.first?.name, longest)
        assertSingleError("services:\n  - name: \(longest)x\n    servers: [203.0.113.10]\n", at: (2, 11),
                          contains: ["not a valid service name"])
    }

    func testDuplicateNames() {
        assertSingleError("""
            services:
              - {name: ftp, servers: [203.0.113.10]}
              - {name: ftp, servers: [203.0.113.11]}
            """, at: (3, 12), contains: ["services[1].name: \"ftp\" is already used by services[0]", "unique"])
    }

    func testServers() {
        assertSingleError("services:\n  - name: a\n    servers: []\n", at: (3, 14), contains: ["the list is empty"])
        assertSingleError("services:\n  - name: a\n    servers: 203.0.113.10\n", at: (3, 14), contains: ["expected a list of server addresses"])
        assertSingleError("services:\n  - name: a\n    servers: [any]\n", at: (3, 15), contains: ["servers cannot be any"])
        assertSingleError("services:\n  - name: a\n    servers: [203.0.113.300]\n", at: (3, 15), contains: ["services[0].servers[0]", "not an IPv4 or IPv6 address"])
        assertSingleError("services:\n  - name: a\n    servers: [203.0.113.10, 203.0.113.10]\n", at: (3, 29), contains: ["listed twice"])
    }

    func testHostBitsSetSuggestsThePrefix() {
        assertSingleError("services:\n  - name: a\n    servers: [203.0.113.10/24]\n", at: (3, 15),
                          contains: ["\"203.0.113.10/24\" has host bits set; did you mean 203.0.113.0/24?"])
        assertSingleError("services:\n  - name: a\n    servers: [\"2001:db8:2::10/48\"]\n", at: (3, 15),
                          contains: ["did you mean 2001:db8:2::/48?"])
        assertSingleError("services:\n  - name: a\n    servers: [203.0.113.0/33]\n", at: (3, 15), contains: ["prefix length is 0-32"])
    }

    /// A sign or junk in the length is a prefix-length error, never "host bits set;
    /// did you mean" the prefix that was (almost) written.
    func testSignedOrMalformedPrefixLengthIsALengthError() {
        for length in ["+24", "-0", " 24", "", "0x18", "24/8"] {
            let yaml = "services:\n  - name: a\n    servers: [\"10.0.0.0/\(length)\"]\n"
            assertSingleError(yaml, at: (3, 15), contains: ["has a bad prefix length; an IPv4 prefix length is 0-32"])
            XCTAssertFalse(policyErrors(yaml).first?.message.contains("host bits") ?? true, length)
        }
        assertSingleError("services:\n  - name: a\n    servers: [\"2001:db8::/+32\"]\n", at: (3, 15),
                          contains: ["bad prefix length; an IPv6 prefix length is 0-128"])
    }

    func testClients() {
        assertSingleError(serviceYAML("    clients: []"), at: (4, 14), contains: ["allow nobody", "[any]"])
        assertSingleError(serviceYAML("    clients: [any, 198.51.100.0/24]"), at: (4, 15), contains: ["any must stand alone"])
        assertSingleError(serviceYAML("    clients: [198.51.100.1/24]"), at: (4, 15), contains: ["did you mean 198.51.100.0/24?"])
        assertSingleError(serviceYAML("    clients: everyone"), at: (4, 14), contains: ["or any"])
    }

    func testClientFamilyWithoutServerOfThatFamily() {
        assertSingleError(serviceYAML("    clients: [198.51.100.0/24, \"2001:db8::/32\"]"), at: (4, 32),
                          contains: ["services[0].clients[1]: 2001:db8::/32 is IPv6 but no server of this service is IPv6"])
    }

    func testControlPort() {
        assertSingleError(serviceYAML("    control_port: 0"), at: (4, 19), contains: ["services[0].control_port: 0 is out of range", "1-65535"])
        assertSingleError(serviceYAML("    control_port: 65536"), at: (4, 19), contains: ["out of range"])
        assertSingleError(serviceYAML("    control_port: ftp"), at: (4, 19), contains: ["expected an integer 1-65535", "\"ftp\""])
    }

    func testBooleans() {
        assertSingleError(serviceYAML("    passive: yes"), at: (4, 14), contains: ["services[0].passive: expected true or false", "\"yes\""])
        assertSingleError(serviceYAML("    active: \"true\""), at: (4, 13), contains: ["expected true or false"])
        assertSingleError(serviceYAML("    enforce: 1"), at: (4, 14), contains: ["expected true or false"])
    }

    func testPassiveAndActiveBothOff() {
        assertSingleError(serviceYAML("    passive: false"), at: (4, 5), contains: ["both false", "would open nothing"])
        assertSingleError(serviceYAML("    passive: false\n    active: false"), at: (5, 5), contains: ["both false"])
    }

    func testDataPorts() {
        assertSingleError(serviceYAML("    data_ports: \"80-90\""), at: (4, 17),
                          contains: ["services[0].data_ports: \"80-90\" starts below 1024; data ports must be within 1024-65535"])
        assertSingleError(serviceYAML("    data_ports: 1023"), at: (4, 17), contains: ["starts below 1024"])
        assertSingleError(serviceYAML("    data_ports: 2000-70000"), at: (4, 17), contains: ["ends above 65535"])
        assertSingleError(serviceYAML("    data_ports: 3000-2000"), at: (4, 17), contains: ["low end above its high end", "\"2000-3000\""])
        // Reversed and out of bounds: the bound is the problem; "100-5000" would be no fix.
        assertSingleError(serviceYAML("    data_ports: 5000-100"), at: (4, 17),
                          contains: ["\"5000-100\" ends below 1024; data ports must be within 1024-65535"])
        assertSingleError(serviceYAML("    data_ports: 70000-2000"), at: (4, 17),
                          contains: ["\"70000-2000\" starts above 65535; data ports must be within 1024-65535"])
        assertSingleError(serviceYAML("    data_ports: 2000-"), at: (4, 17), contains: ["not a port range", "LOW-HIGH"])
        assertSingleError(serviceYAML("    data_ports: 1-2-3"), at: (4, 17), contains: ["not a port range"])
        assertSingleError(serviceYAML("    data_ports: [2000, 3000]"), at: (4, 17), contains: ["expected a port range"])
    }

    func testPinholeTimeout() {
        assertSingleError(serviceYAML("    pinhole_timeout: 500ms"), at: (4, 22), contains: ["\"500ms\" is below 1s", "allowed: 1s-1h"])
        assertSingleError(serviceYAML("    pinhole_timeout: 2h"), at: (4, 22), contains: ["is above 1h"])
        assertSingleError(serviceYAML("    pinhole_timeout: 0"), at: (4, 22), contains: ["below 1s"])
        assertSingleError(serviceYAML("    pinhole_timeout: 2d"), at: (4, 22), contains: ["not a duration", "ms, s, m or h"])
        assertSingleError(serviceYAML("    pinhole_timeout: 1.5s"), at: (4, 22), contains: ["not a duration"])
        assertSingleError(serviceYAML("    pinhole_timeout: -5"), at: (4, 22), contains: ["not a duration"])
    }

    func testOverlappingServersOnTheSameControlPort() {
        assertSingleError("""
            services:
              - name: a
                servers: [203.0.113.0/24]
              - name: b
                servers: [198.51.100.1, 203.0.113.10]
            """, at: (5, 29), contains: ["services[1].servers: 203.0.113.10 overlaps 203.0.113.0/24 of services[0] (\"a\") on the same control_port 21"])
    }

    func testEveryErrorIsCollectedInFileOrder() {
        let errors = policyErrors("""
            table: 1bad
            nflog_group: 70000
            limits: {sessions: 0}
            services:
              - name: ftp
                servers: [203.0.113.10/24]
                data_ports: "80-90"
                pinhole_timout: 30s
                passive: maybe
            """)
        XCTAssertEqual(errors.map { "\($0.line):\($0.column)" }, ["1:8", "2:14", "3:20", "6:15", "7:17", "8:5", "9:14"])
        XCTAssertTrue(errors.allSatisfy { $0.file == "test.yaml" })
        XCTAssertEqual(errors[4].description,
                       "test.yaml:7:17: error: services[0].data_ports: \"80-90\" starts below 1024; data ports must be within 1024-65535")
    }
}

/// Every "write ..." suggestion for data_ports must itself load.
final class DataPortsSuggestionTests: XCTestCase {
    func testEverySuggestedRangeIsValid() {
        let samples = ["5000-100", "3000-2000", "70000-2000", "65535-1024", "2000-1023", "99999-1", "1024-1023"]
        for sample in samples {
            for error in policyErrors(serviceYAML("    data_ports: \(sample)")) {
                guard let suggestion = error.message.components(separatedBy: "write \"").dropFirst().first?
                    .prefix(while: { $0 != "\"" }) else { continue }
                _ = loadPolicy(serviceYAML("    data_ports: \(suggestion)"))
            }
        }
    }
}
