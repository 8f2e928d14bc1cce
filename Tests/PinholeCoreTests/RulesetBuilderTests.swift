import PinholeCore
import XCTest

final class RulesetBuilderTests: XCTestCase {
    func testOwnTableHasSetsTapsAndOneShotEnforcement() {
        let script = RulesetBuilder.script(for: TestPolicy.make())
        XCTAssertTrue(script.hasPrefix("add table inet pinhole\n"))
        XCTAssertTrue(script.contains(
            "add set inet pinhole pinholes4 { type ipv4_addr . ipv4_addr . inet_service; flags dynamic,timeout; size 1048576; }"))
        XCTAssertTrue(script.contains("ipv6_addr . ipv6_addr . inet_service"))
        XCTAssertTrue(script.contains("add rule inet pinhole tap_prerouting ct state established ip daddr { 203.0.113.10 } "
            + "tcp dport 21 jump copy\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole tap_output ct state established ip6 saddr { 2001:db8:2::10 } "
            + "tcp sport 21 jump copy\n"))
        // Segments with data or SYN/FIN/RST are copied at once; pure ACKs are not.
        XCTAssertTrue(script.contains("add rule inet pinhole copy tcp flags & (syn | fin | rst) != 0 "
            + "log group 2121 queue-threshold 1 accept\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole copy @ih,0,8 0-255 log group 2121 queue-threshold 1 accept\n"))
        XCTAssertLessThan(script.range(of: "add chain inet pinhole copy\n")!.lowerBound,
                          script.range(of: "jump copy")!.lowerBound, "the chain exists before the jumps")
        XCTAssertTrue(script.contains("add rule inet pinhole pinhole_check ip saddr . ip daddr . tcp dport @pinholes4 "
            + "delete @pinholes4 { ip saddr . ip daddr . tcp dport } accept"))
        XCTAssertTrue(script.contains("add rule inet pinhole enforce_forward ct state new ct status ! confirmed "
            + "ip daddr { 203.0.113.10 } tcp dport 50000-50100 jump pinhole_check"))
        XCTAssertFalse(script.contains("saddr { 203.0.113.10 } tcp dport 50000-50100"), "no active guard when active is off")
        // Unmatched SYNs go to the race guard, then are dropped: fail closed.
        let guardJump = script.range(of: "add rule inet pinhole pinhole_check jump syn_guard\n")
        let drop = script.range(of: "add rule inet pinhole pinhole_check counter drop")
        XCTAssertNotNil(guardJump)
        XCTAssertLessThan(guardJump!.lowerBound, drop!.lowerBound)
        XCTAssertTrue(script.contains("flush chain inet pinhole syn_guard\n"))
        XCTAssertFalse(script.contains("queue num"), "nft's queue statement does not exist on this kernel")
        // Sets are `add`ed, never deleted: a reload keeps their elements.
        XCTAssertFalse(script.contains("delete table"))
        XCTAssertFalse(script.contains("flush set"))
    }

    func testActiveGuardsServersToClients() {
        let script = RulesetBuilder.script(for: TestPolicy.make(active: true, clients: ["198.51.100.0/24"]))
        XCTAssertTrue(script.contains("ip saddr { 203.0.113.10 } ip daddr { 198.51.100.0/24 } tcp dport 50000-50100 jump pinhole_check"))
    }

    func testAttachModeKeepsOnlyTaps() {
        var p = TestPolicy.make()
        p.services[0].enforce = false
        p.attach = AttachSets(table: "filter", ipv4: "ftp_pinholes4", ipv6: "ftp_pinholes6")
        let script = RulesetBuilder.script(for: p)
        XCTAssertFalse(script.contains("add set"))
        XCTAssertFalse(script.contains("pinhole_check ip"))
        XCTAssertTrue(script.contains("log group 2121"))
    }

    func testOverlappingPrefixesAreMerged() {
        var p = TestPolicy.make()
        p.services[0].servers = [IPPrefix("203.0.113.10")!, IPPrefix("203.0.113.0/24")!, IPPrefix("203.0.113.0/24")!]
        let script = RulesetBuilder.script(for: p)
        XCTAssertTrue(script.contains("ip daddr { 203.0.113.0/24 } tcp dport 21"))
    }

    func testControlPortInsideDataPortsIsExcluded() {
        var p = TestPolicy.make()
        p.services[0].controlPort = 50_050
        XCTAssertTrue(RulesetBuilder.script(for: p).contains("tcp dport 50000-50100 tcp dport != 50050 jump"))
    }
    /// Two FTP servers on one host, on 21 and 2121: the first one's data range
    /// holds the second one's control port, whose new connections must not be
    /// sent to pinhole_check (which drops them).
    func testAnotherServicesControlPortLeavesTheGuardsFirst() {
        var p = TestPolicy.make(ports: PortRange(lower: 1024, upper: 65535)!)
        var alt = p.services[0]
        alt.name = "alt"
        alt.controlPort = 2121
        alt.servers = [IPPrefix("203.0.113.10")!]
        p.services.append(alt)
        let rules = RulesetBuilder.script(for: p).split(separator: "\n").map(String.init)
        let exemption = "add rule inet pinhole enforce_input ct state new ip daddr { 203.0.113.10 } tcp dport 2121 return comment \"control port of alt\""
        let firstGuard = rules.firstIndex { $0.hasPrefix("add rule inet pinhole enforce_input") && $0.contains("jump pinhole_check") }
        XCTAssertNotNil(rules.firstIndex(of: exemption))
        XCTAssertLessThan(rules.firstIndex(of: exemption) ?? .max, firstGuard ?? -1)
        XCTAssertTrue(rules.contains(exemption.replacingOccurrences(of: "enforce_input", with: "enforce_forward")))
        // alt has no IPv6 server; lab's own port 21 is outside alt's range and needs nothing.
        XCTAssertFalse(rules.contains { $0.contains("ip6 daddr") && $0.contains("return") })
        XCTAssertFalse(rules.contains { $0.contains("tcp dport 21 return") })
        // Without enforcement on the other service there is nothing to leave.
        p.services[0].enforce = false
        XCTAssertFalse(RulesetBuilder.script(for: p).contains("return comment"))
    }
    func testUnqueuedDropsAreReadFromTheGuardsDropRule() {
        let listing = """
        table inet pinhole {
        \tchain pinhole_check {
        \t\tip saddr . ip daddr . tcp dport @pinholes4 delete @pinholes4 { ip saddr . ip daddr . tcp dport } accept
        \t\tjump syn_guard
        \t\tcounter packets 2638 bytes 105520 drop comment "no pinhole"
        \t}
        }
        """
        XCTAssertEqual(RulesetBuilder.unqueuedDrops(inChainListing: listing), 2638)
        XCTAssertNil(RulesetBuilder.unqueuedDrops(inChainListing: "table inet pinhole {\n\tchain pinhole_check {\n\t}\n}\n"))
        // The rule the script writes is the rule this reads.
        XCTAssertTrue(RulesetBuilder.script(for: TestPolicy.make()).contains("pinhole_check counter drop comment \"no pinhole\""))
    }
}
