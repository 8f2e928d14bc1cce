/// Writes the nft script for pinholed's own table. Pure text, so tests can
/// compare it and `pinholed --print-ruleset` can show it; the netfilter
/// module runs it as one atomic transaction.
public enum RulesetBuilder {
    public struct Options: Sendable, Equatable {
        /// NFQUEUE number for unmatched SYNs (the race guard); nil: drop them.
        public var synQueue: UInt16?
        public init(synQueue: UInt16? = nil) { self.synQueue = synQueue }
    }

    /// Tap and enforce priority: after conntrack (-200) so `ct state` is
    /// known, before the usual filter chains (0).
    static let tapPriority = -150
    static let enforcePriority = -10

    /// `add; delete; table {...}` replaces the table atomically whether or not
    /// it existed (nft 1.0.6 has no `destroy table`).
    public static func script(for policy: Policy, options: Options = Options()) -> String {
        let t = policy.table
        var out = "add table inet \(t)\ndelete table inet \(t)\ntable inet \(t) {\n"
        if policy.attach == nil {
            for family in IPFamily.allCases {
                let set = policy.pinholeSet(family).set
                out += "\tset \(set) {\n\t\ttype \(keyType(family))\n\t\tflags dynamic,timeout\n"
                out += "\t\tsize \(max(policy.limits.pinholes, 1024))\n\t}\n"
            }
        }
        let taps = tapRules(policy)
        for (chain, hook) in [("tap_prerouting", "prerouting"), ("tap_output", "output")] {
            out += "\tchain \(chain) {\n\t\ttype filter hook \(hook) priority \(tapPriority); policy accept;\n"
            for r in taps { out += "\t\t\(r)\n" }
            out += "\t}\n"
        }
        let guards = policy.attach == nil ? guardRules(policy) : []
        if !guards.isEmpty {
            out += "\tchain pinhole_check {\n"
            for family in IPFamily.allCases {
                let set = policy.pinholeSet(family).set
                let tuple = family == .ipv4 ? "ip saddr . ip daddr . tcp dport" : "ip6 saddr . ip6 daddr . tcp dport"
                out += "\t\t\(tuple) @\(set) delete @\(set) { \(tuple) } accept\n"
            }
            if let q = options.synQueue {
                out += "\t\tlimit rate 2000/second burst 200 packets queue num \(q)\n"
            }
            out += "\t\tcounter drop comment \"no pinhole\"\n\t}\n"
            for (chain, hook) in [("enforce_forward", "forward"), ("enforce_input", "input")] {
                out += "\tchain \(chain) {\n\t\ttype filter hook \(hook) priority \(enforcePriority); policy accept;\n"
                for r in guards { out += "\t\t\(r)\n" }
                out += "\t}\n"
            }
        }
        out += "}\n"
        return out
    }

    public static func keyType(_ family: IPFamily) -> String {
        family == .ipv4 ? "ipv4_addr . ipv4_addr . inet_service" : "ipv6_addr . ipv6_addr . inet_service"
    }

    /// Copies of established control traffic, both directions, one rule per
    /// service and family. Only `ct state established`: conntrack has already
    /// checked these segments are in window, so spoofed ones are never parsed.
    static func tapRules(_ policy: Policy) -> [String] {
        var rules: [String] = []
        let log = "log group \(policy.nflogGroup) queue-threshold 1"
        for svc in policy.services {
            for family in IPFamily.allCases {
                guard let servers = addressSet(svc.servers, family) else { continue }
                let ip = family == .ipv4 ? "ip" : "ip6"
                rules.append("ct state established \(ip) daddr \(servers) tcp dport \(svc.controlPort) \(log)")
                rules.append("ct state established \(ip) saddr \(servers) tcp sport \(svc.controlPort) \(log)")
            }
        }
        return rules
    }

    /// New connections into the data ports that must match a pinhole.
    /// `ct status != confirmed` limits the check to a connection's first
    /// packet, so a retransmitted SYN after the one-shot delete still passes.
    static func guardRules(_ policy: Policy) -> [String] {
        var rules: [String] = []
        for svc in policy.services where svc.enforce {
            var ports = "tcp dport \(svc.dataPorts)"
            if svc.dataPorts.contains(svc.controlPort) { ports += " tcp dport != \(svc.controlPort)" }
            for family in IPFamily.allCases {
                guard let servers = addressSet(svc.servers, family) else { continue }
                let ip = family == .ipv4 ? "ip" : "ip6"
                let first = "ct state new ct status != confirmed"
                if svc.passive || !svc.active {
                    rules.append("\(first) \(ip) daddr \(servers) \(ports) jump pinhole_check")
                }
                if svc.active {
                    var clients = ""
                    if !svc.clients.isEmpty {
                        guard let c = addressSet(svc.clients, family) else { continue }
                        clients = " \(ip) daddr \(c)"
                    }
                    rules.append("\(first) \(ip) saddr \(servers)\(clients) \(ports) jump pinhole_check")
                }
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
