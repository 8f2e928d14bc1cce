/// Writes the nft script for pinholed's own table. Pure text, so tests can
/// compare it and `pinholed --print-ruleset` can show it; the netfilter
/// module runs it as one atomic transaction.
public enum RulesetBuilder {
    /// Where the chains hook, chosen so that pinholed sees every connection
    /// as its client does, also through NAT on this host (a DNAT'd server
    /// that announces its public address, SNAT'd clients): client-to-server
    /// segments are copied where they enter (prerouting, output), after
    /// conntrack (-200) and before dstnat (-100); server-to-client segments
    /// where they leave (postrouting, input), after srcnat (100), which has
    /// by then turned a DNAT'd server's address back into the public one.
    /// New data connections are checked before dstnat too, while they still
    /// carry the address the 227 or 229 announced: in tap_prerouting and
    /// tap_output, after the taps (one hooked chain less for every packet).
    static let clientSideTapPriority = -150
    static let serverSideTapPriority = 150

    /// The set size; fixed so that `add set` on a reload matches the existing set.
    public static let setSize = 1 << 20

    /// An idempotent script: creates the table and sets if missing (keeping
    /// the elements of existing sets, so start-up after a crash and SIGHUP
    /// reloads lose no pinhole), then flushes and refills every chain. nft
    /// runs it as one transaction: either all of it applies or none.
    public static func script(for policy: Policy) -> String {
        let t = "inet \(policy.table)"
        var out = "add table \(t)\n"
        if policy.attach == nil {
            for family in IPFamily.allCases {
                let set = policy.pinholeSet(family).set
                out += "add set \(t) \(set) { type \(keyType(family)); flags dynamic,timeout; size \(setSize); }\n"
            }
        }
        let guards = policy.attach == nil ? guardRules(policy) : []
        if !guards.isEmpty { out += raceGuardObjects(t) }
        // Chains of earlier versions are emptied here and deleted below, once
        // nothing jumps from them (add first: nft's delete needs them to exist).
        for (chain, hook, prio) in baseChains + formerChains {
            out += "add chain \(t) \(chain) { type filter hook \(hook) priority \(prio); policy accept; }\n"
            out += "flush chain \(t) \(chain)\n"
        }
        for chain in regularChains {
            out += "add chain \(t) \(chain)\nflush chain \(t) \(chain)\n"
        }
        for r in copyRules(policy) { out += "add rule \(t) \(copyChain) \(r)\n" }
        for (chain, _, _) in formerChains {
            out += "delete chain \(t) \(chain)\n"
        }
        for r in tapRules(policy, towardServers: true) {
            out += "add rule \(t) tap_prerouting \(r)\n"
            out += "add rule \(t) tap_output \(r)\n"
        }
        if !guards.isEmpty {
            // What enters (forwarded, or to this host) and what this host
            // sends: on the FTP server's own host its active data connections
            // leave through output.
            out += "add rule \(t) tap_prerouting \(enforceJump)\n"
            out += "add rule \(t) tap_output \(enforceJump)\n"
        }
        for r in tapRules(policy, towardServers: false) {
            out += "add rule \(t) tap_postrouting \(r)\n"
            out += "add rule \(t) tap_input \(r)\n"
        }
        if !guards.isEmpty {
            for family in IPFamily.allCases {
                let set = policy.pinholeSet(family).set
                let tuple = family == .ipv4 ? "ip saddr . ip daddr . tcp dport" : "ip6 saddr . ip6 daddr . tcp dport"
                out += "add rule \(t) pinhole_check \(tuple) @\(set) delete @\(set) { \(tuple) } accept\n"
            }
            for r in raceGuardRules() { out += "add rule \(t) pinhole_check \(r)\n" }
            for r in guards {
                out += "add rule \(t) \(enforceChain) \(r)\n"
            }
        }
        return out
    }

    /// The hooked chains: name, hook, priority.
    static let baseChains: [(String, String, Int)] = [
        ("tap_prerouting", "prerouting", clientSideTapPriority), ("tap_output", "output", clientSideTapPriority),
        ("tap_postrouting", "postrouting", serverSideTapPriority), ("tap_input", "input", serverSideTapPriority),
    ]
    /// Base chains of earlier versions, deleted when found, so an upgrade
    /// does not check twice: the two that checked data connections after
    /// NAT, and the one that checked them in a hooked chain of its own.
    static let formerChains: [(String, String, Int)] = [
        ("enforce_forward", "forward", -10), ("enforce_input", "input", -10),
        ("enforce_prerouting", "prerouting", -120),
    ]
    static let regularChains = [copyChain, enforceChain, "pinhole_check", synGuardChain]

    /// The guards for new data connections, reached from tap_prerouting and tap_output.
    static let enforceChain = "enforce_new"
    /// Only a connection's first packet goes there: one test for all the
    /// rest of the traffic instead of one per guard. `ct status ! confirmed`
    /// keeps a retransmitted SYN, after the one-shot delete, out of the
    /// check. (It is a bit test; `!= confirmed` would compile to an exact
    /// compare, which any other status bit, e.g. NAT's, defeats.) A copied
    /// segment never gets here: the copy chain accepts it, and it is
    /// established anyway.
    static let enforceJump = "ct state new ct status ! confirmed jump \(enforceChain)"
    /// Every chain the script creates, or created once (TableOwnership tells
    /// them from others').
    static var ownChains: [String] { (baseChains + formerChains).map(\.0) + regularChains }

    public static func keyType(_ family: IPFamily) -> String {
        family == .ipv4 ? "ipv4_addr . ipv4_addr . inet_service" : "ipv6_addr . ipv6_addr . inet_service"
    }

    static let copyChain = "copy"

    /// One copy per segment that carries data or a SYN, FIN or RST, sent at
    /// once (`queue-threshold 1`). Pure ACKs carry nothing the inspector
    /// reads, and each copy can wake the daemon: they are not copied.
    /// (`@ih,0,8 0-255` matches any first payload byte, NUL included; with
    /// no payload the load fails and the rule does not match.)
    static func copyRules(_ policy: Policy) -> [String] {
        let log = "log group \(policy.nflogGroup) queue-threshold 1 accept"
        return ["tcp flags & (syn | fin | rst) != 0 \(log)", "@ih,0,8 0-255 \(log)"]
    }

    /// Established control traffic of one direction, one rule per service
    /// and family, to the copy chain. Only `ct state established`: conntrack
    /// has already checked these segments are in window, so spoofed ones are
    /// never parsed. The family and the address come first: every packet
    /// through the firewall passes these rules, and most leave at the first
    /// test (a packet of the other family at once).
    static func tapRules(_ policy: Policy, towardServers: Bool) -> [String] {
        var rules: [String] = []
        for svc in policy.services {
            for family in IPFamily.allCases {
                guard let servers = addressSet(svc.servers, family) else { continue }
                let ip = family == .ipv4 ? "ip" : "ip6"
                rules.append(towardServers
                    ? "\(ip) daddr \(servers) tcp dport \(svc.controlPort) ct state established jump \(copyChain)"
                    : "\(ip) saddr \(servers) tcp sport \(svc.controlPort) ct state established jump \(copyChain)")
            }
        }
        return rules
    }

    /// New connections into the data ports that must match a pinhole (the
    /// rules of `enforceChain`, which sees first packets only).
    static func guardRules(_ policy: Policy) -> [String] {
        var rules = controlPortExemptions(policy)
        for svc in policy.services where svc.enforce {
            var ports = "tcp dport \(svc.dataPorts)"
            if svc.dataPorts.contains(svc.controlPort) { ports += " tcp dport != \(svc.controlPort)" }
            for family in IPFamily.allCases {
                guard let servers = addressSet(svc.servers, family) else { continue }
                let ip = family == .ipv4 ? "ip" : "ip6"
                if svc.passive || !svc.active {
                    rules.append("\(ip) daddr \(servers) \(ports) jump pinhole_check")
                }
                if svc.active {
                    var clients = ""
                    if !svc.clients.isEmpty {
                        guard let c = addressSet(svc.clients, family) else { continue }
                        clients = " \(ip) daddr \(c)"
                    }
                    rules.append("\(ip) saddr \(servers)\(clients) \(ports) jump pinhole_check")
                }
            }
        }
        return rules
    }

    /// A service's control connections are never data connections, but another
    /// service's data range may hold its control port (two FTP servers on one
    /// host, on 21 and 2121): those endpoints leave the enforce chain before
    /// the guards. (A service's own control port is cut out of its own rules.)
    static func controlPortExemptions(_ policy: Policy) -> [String] {
        var rules: [String] = []
        for svc in policy.services {
            let covered = policy.services.contains { other in
                other.enforce && other.name != svc.name && other.dataPorts.contains(svc.controlPort)
            }
            guard covered else { continue }
            for family in IPFamily.allCases {
                guard let servers = addressSet(svc.servers, family) else { continue }
                let ip = family == .ipv4 ? "ip" : "ip6"
                rules.append("\(ip) daddr \(servers) tcp dport \(svc.controlPort) return comment \"control port of \(svc.name)\"")
            }
        }
        return rules
    }

    /// `{ a, b/24 }` of one family, prefixes covered by another dropped (nft
    /// refuses overlapping intervals); nil when the family has none.
    static func addressSet(_ prefixes: [IPPrefix], _ family: IPFamily) -> String? {
        let same = prefixes.filter { $0.family == family }
        let kept = same.enumerated().filter { i, p in
            !same.enumerated().contains { j, q in
                j != i && q.length <= p.length && q.contains(p.address) && (q.length < p.length || j < i)
            }
        }.map(\.element)
        guard !kept.isEmpty else { return nil }
        return "{ " + kept.map(\.description).joined(separator: ", ") + " }"
    }
}
