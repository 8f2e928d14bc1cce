import PinholeCore
import XCTest

final class RulesetBuilderTests: XCTestCase {
    func testOwnTableHasSetsTapsAndOneShotEnforcement() {
        let script = RulesetBuilder.script(for: TestPolicy.make())
        XCTAssertTrue(script.hasPrefix("add table inet pinhole\n"))
        XCTAssertTrue(script.contains(
            "add set inet pinhole pinholes4 { type ipv4_addr . ipv4_addr . inet_service; flags dynamic,timeout; size 1048576; }"))
        XCTAssertTrue(script.contains("ipv6_addr . ipv6_addr . inet_service"))
        // Server segments are copied at once; client segments go through copy_command.
        XCTAssertTrue(script.contains("add rule inet pinhole tap_prerouting ct state established ip daddr { 203.0.113.10 } "
            + "tcp dport 21 jump copy_command\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole tap_output ct state established ip6 saddr { 2001:db8:2::10 } "
            + "tcp sport 21 log group 2121 queue-threshold 1\n"))
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

    func testClientCopiesAreBatchedExceptPortEprtFinAndRst() {
        let script = RulesetBuilder.script(for: TestPolicy.make())
        let rules = script.split(separator: "\n").filter { $0.hasPrefix("add rule inet pinhole copy_command ") }
            .map { String($0.dropFirst("add rule inet pinhole copy_command ".count)) }
        XCTAssertEqual(rules, [
            // "PORT " and "EPRT " (0x50 0x4f 0x52 0x54 0x20, 0x45 0x50 0x52 0x54 0x20), any case.
            "@ih,0,40 & 0xdfdfdfdfff { 0x504f525420, 0x4550525420 } log group 2121 queue-threshold 1 accept",
            "tcp flags & (fin | rst) != 0 log group 2121 queue-threshold 1 accept",
            "log group 2121 accept",
        ], "one copy per segment; only the last rule waits for the kernel's batch")
        XCTAssertTrue(script.contains("add chain inet pinhole copy_command\nflush chain inet pinhole copy_command\n"))
        // The chain exists before the rules that jump to it.
        XCTAssertLessThan(script.range(of: "add chain inet pinhole copy_command")!.lowerBound,
                          script.range(of: "jump copy_command")!.lowerBound)
        // A held SYN's copy flushes the batch first; rate-limited like the queue rule.
        XCTAssertTrue(script.contains("add rule inet pinhole syn_guard limit rate 2000/second burst 200 packets "
            + "log group 2121 queue-threshold 1\n"))
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
}
