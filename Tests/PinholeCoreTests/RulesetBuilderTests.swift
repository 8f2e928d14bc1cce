import PinholeCore
import XCTest

final class RulesetBuilderTests: XCTestCase {
    func testOwnTableHasSetsTapsAndOneShotEnforcement() {
        let script = RulesetBuilder.script(for: TestPolicy.make())
        XCTAssertTrue(script.hasPrefix("add table inet pinhole\n"))
        XCTAssertTrue(script.contains(
            "add set inet pinhole pinholes4 { type ipv4_addr . ipv4_addr . inet_service; flags dynamic,timeout; size 1048576; }"))
        XCTAssertTrue(script.contains("ipv6_addr . ipv6_addr . inet_service"))
        XCTAssertTrue(script.contains("add rule inet pinhole tap_prerouting ip daddr { 203.0.113.10 } "
            + "tcp dport 21 ct state established jump copy\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole tap_postrouting ip6 saddr { 2001:db8:2::10 } "
            + "tcp sport 21 ct state established jump copy\n"))
        // Segments with data or SYN/FIN/RST are copied at once; pure ACKs are not.
        XCTAssertTrue(script.contains("add rule inet pinhole copy tcp flags & (syn | fin | rst) != 0 "
            + "log group 2121 queue-threshold 1 accept\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole copy @ih,0,8 0-255 log group 2121 queue-threshold 1 accept\n"))
        XCTAssertLessThan(script.range(of: "add chain inet pinhole copy\n")!.lowerBound,
                          script.range(of: "jump copy")!.lowerBound, "the chain exists before the jumps")
        XCTAssertTrue(script.contains("add rule inet pinhole pinhole_check ip saddr . ip daddr . tcp dport @pinholes4 "
            + "delete @pinholes4 { ip saddr . ip daddr . tcp dport } accept"))
        // Only first packets reach the guards, through one test after the taps.
        XCTAssertTrue(script.contains("add rule inet pinhole tap_prerouting ct state new ct status ! confirmed jump enforce_new\n"))
        XCTAssertTrue(script.contains("add rule inet pinhole enforce_new ip daddr { 203.0.113.10 } tcp dport 50000-50100 jump pinhole_check"))
        XCTAssertLessThan(script.range(of: "add chain inet pinhole enforce_new\n")!.lowerBound,
                          script.range(of: "jump enforce_new")!.lowerBound, "the chain exists before the jump")
        let prerouting = script.split(separator: "\n").filter { $0.hasPrefix("add rule inet pinhole tap_prerouting ") }
        XCTAssertEqual(prerouting.last.map(String.init), "add rule inet pinhole tap_prerouting ct state new ct status ! confirmed jump enforce_new",
                       "the guards come after the taps")
        XCTAssertFalse(script.contains("saddr { 203.0.113.10 } tcp dport 50000-50100"), "no active guard when active is off")
        // Unmatched SYNs go to the race guard, then are dropped: fail closed.
        let guardJump = script.range(of: "add rule inet pinhole pinhole_check jump syn_guard\n")
        let drop = script.range(of: "add rule inet pinhole pinhole_check counter name \"syn_unqueued\" drop")
        XCTAssertNotNil(guardJump)
        XCTAssertNotNil(drop)
        if let guardJump, let drop { XCTAssertLessThan(guardJump.lowerBound, drop.lowerBound) }
        XCTAssertTrue(script.contains("flush chain inet pinhole syn_guard\n"))
        XCTAssertFalse(script.contains("queue num"), "nft's queue statement does not exist on this kernel")
        // Sets are `add`ed, never deleted: a reload keeps their elements.
        XCTAssertFalse(script.contains("delete table"))
        XCTAssertFalse(script.contains("flush set"))
    }

    /// Every control segment is copied once, as the client sees it: toward
    /// the servers where it enters, before dstnat; from the servers where it
    /// leaves, after srcnat has put a DNAT'd server's public address back.
    /// Data connections are checked before dstnat, with the announced address.
    func testChainsSeeConnectionsAsTheClientDoesThroughNAT() {
        let script = RulesetBuilder.script(for: TestPolicy.make())
        let lines = script.split(separator: "\n").map(String.init)
        for (chain, hook, priority) in [("tap_prerouting", "prerouting", -150), ("tap_output", "output", -150),
                                        ("tap_postrouting", "postrouting", 150), ("tap_input", "input", 150)] {
            XCTAssertTrue(lines.contains("add chain inet pinhole \(chain) { type filter hook \(hook) priority \(priority); policy accept; }"), chain)
            XCTAssertTrue(priority < -100 || priority > 100, "\(chain): between dstnat (-100) and srcnat (100) it would see NAT'd addresses")
        }
        let toServers = "ip daddr { 203.0.113.10 } tcp dport 21 ct state established jump copy"
        let fromServers = "ip saddr { 203.0.113.10 } tcp sport 21 ct state established jump copy"
        for chain in ["tap_prerouting", "tap_output"] {
            XCTAssertTrue(lines.contains("add rule inet pinhole \(chain) \(toServers)"), chain)
            XCTAssertFalse(lines.contains("add rule inet pinhole \(chain) \(fromServers)"), "\(chain) would copy replies twice")
        }
        for chain in ["tap_postrouting", "tap_input"] {
            XCTAssertTrue(lines.contains("add rule inet pinhole \(chain) \(fromServers)"), chain)
            XCTAssertFalse(lines.contains("add rule inet pinhole \(chain) \(toServers)"), "\(chain) would copy commands twice")
        }
        XCTAssertFalse(lines.contains { $0.contains("jump pinhole_check") && !$0.hasPrefix("add rule inet pinhole enforce_new ") })
        // New connections are checked where they enter and where this host sends them (a server host's active data connections).
        let guardJumps = lines.filter { $0.contains("jump enforce_new") }
        XCTAssertEqual(guardJumps, ["add rule inet pinhole tap_prerouting ct state new ct status ! confirmed jump enforce_new",
                                    "add rule inet pinhole tap_output ct state new ct status ! confirmed jump enforce_new"])
    }

    /// The chains that checked data connections after NAT (forward and input,
    /// up to 0.1.0), and the hooked one that checked them before NAT, are
    /// emptied and deleted, so an upgraded table does not check twice; in
    /// that order, in the same transaction.
    func testFormerEnforceChainsAreDeleted() {
        let lines = RulesetBuilder.script(for: TestPolicy.make()).split(separator: "\n").map(String.init)
        for (chain, hook, priority) in [("enforce_forward", "forward", -10), ("enforce_input", "input", -10),
                                        ("enforce_prerouting", "prerouting", -120)] {
            let add = lines.firstIndex(of: "add chain inet pinhole \(chain) { type filter hook \(hook) priority \(priority); policy accept; }")
            let flush = lines.firstIndex(of: "flush chain inet pinhole \(chain)")
            let delete = lines.firstIndex(of: "delete chain inet pinhole \(chain)")
            guard let add, let flush, let delete else { return XCTFail("\(chain): add, flush and delete expected") }
            XCTAssertLessThan(add, flush)
            XCTAssertLessThan(flush, delete)
            XCTAssertFalse(lines.contains { $0.hasPrefix("add rule inet pinhole \(chain) ") })
        }
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
        let exemption = "add rule inet pinhole enforce_new ip daddr { 203.0.113.10 } tcp dport 2121 return comment \"control port of alt\""
        let firstGuard = rules.firstIndex { $0.hasPrefix("add rule inet pinhole enforce_new") && $0.contains("jump pinhole_check") }
        XCTAssertNotNil(rules.firstIndex(of: exemption))
        XCTAssertLessThan(rules.firstIndex(of: exemption) ?? .max, firstGuard ?? -1)
        // alt has no IPv6 server; lab's own port 21 is outside alt's range and needs nothing.
        XCTAssertFalse(rules.contains { $0.contains("ip6 daddr") && $0.contains("return") })
        XCTAssertFalse(rules.contains { $0.contains("tcp dport 21 return") })
        // Without enforcement on the other service there is nothing to leave.
        p.services[0].enforce = false
        XCTAssertFalse(RulesetBuilder.script(for: p).contains("return comment"))
    }
    func testUnqueuedDropsAreReadFromTheGuardsCounters() {
        let listing = """
        table inet pinhole {
        \tcounter syn_unqueued {
        \t\tpackets 2638 bytes 105520
        \t}
        \tcounter syn_source_limited {
        \t\tpackets 300 bytes 12000
        \t}
        }
        """
        let drops = RulesetBuilder.unqueuedDrops(inCounterListing: listing)
        XCTAssertEqual(drops?.total, 2938)
        XCTAssertEqual(drops?.overSourceLimit, 300)
        // Either counter missing (attach mode, an empty listing): nothing to report.
        XCTAssertNil(RulesetBuilder.unqueuedDrops(inCounterListing: "table inet pinhole {\n}\n"))
        let one = listing.replacingOccurrences(of: "syn_source_limited", with: "ssh")
        XCTAssertNil(RulesetBuilder.unqueuedDrops(inCounterListing: one))
        // The counters the script creates and counts into are the ones this reads.
        let script = RulesetBuilder.script(for: TestPolicy.make())
        XCTAssertTrue(script.contains("add counter inet pinhole syn_unqueued\n"))
        XCTAssertTrue(script.contains("add counter inet pinhole syn_source_limited\n"))
        XCTAssertTrue(script.contains("pinhole_check counter name \"syn_unqueued\" drop comment \"no pinhole\""))
    }

    /// A scanner spends its own share of the guard's rate, not everyone's:
    /// after the pinhole lookups (a SYN with a pinhole is never limited),
    /// before the shared limit in syn_guard. IPv6 sources count by /64.
    func testEachSourceHasItsOwnShareOfTheGuardsRate() {
        let rules = RulesetBuilder.script(for: TestPolicy.make()).split(separator: "\n").map(String.init)
        let v4 = "add rule inet pinhole pinhole_check update @syn_sources4 { ip saddr limit rate over 1000/second burst 200 packets } counter name \"syn_source_limited\" drop"
        let v6 = "add rule inet pinhole pinhole_check update @syn_sources6 { ip6 saddr & ffff:ffff:ffff:ffff:: limit rate over 1000/second burst 200 packets } counter name \"syn_source_limited\" drop"
        let lastLookup = rules.lastIndex { $0.contains("pinhole_check") && $0.hasSuffix("accept") }
        let jump = rules.firstIndex(of: "add rule inet pinhole pinhole_check jump syn_guard")
        guard let i4 = rules.firstIndex(of: v4), let i6 = rules.firstIndex(of: v6), let lastLookup, let jump else {
            return XCTFail("per-source rules, lookups or jump missing:\n\(rules.joined(separator: "\n"))")
        }
        XCTAssertLessThan(lastLookup, min(i4, i6))
        XCTAssertLessThan(max(i4, i6), jump)
        XCTAssertTrue(rules.contains("add set inet pinhole syn_sources4 { type ipv4_addr; flags dynamic,timeout; timeout 60s; size 65536; }"))
        XCTAssertTrue(rules.contains("add set inet pinhole syn_sources6 { type ipv6_addr; flags dynamic,timeout; timeout 60s; size 65536; }"))
        // The sets and counters come before the rules that use them.
        XCTAssertLessThan(rules.firstIndex { $0.hasPrefix("add set inet pinhole syn_sources4") } ?? .max, i4)
    }

    /// Without a guard (nothing enforced, or attach mode) there is nothing
    /// to limit or count.
    func testNoGuardNoSourceSetsOrCounters() {
        var p = TestPolicy.make()
        p.services[0].enforce = false
        let script = RulesetBuilder.script(for: p)
        XCTAssertFalse(script.contains("syn_sources"))
        XCTAssertFalse(script.contains("add counter"))
    }
}
