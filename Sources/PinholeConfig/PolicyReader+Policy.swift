import PinholeCore
import Yams

/// The top level, `limits:` and `sets:`.
extension PolicyReader {
    static let topLevelKeys = ["table", "nflog_group", "socket", "socket_group", "services", "limits", "sets"]
    static let limitKeys = ["pinholes_per_session", "sessions", "pinholes"]
    static let setKeys = ["table", "ipv4", "ipv6"]

    func readPolicy(_ root: Node) -> Policy? {
        guard let fields = mapping(root, path: "", allowed: PolicyReader.topLevelKeys, what: "a policy") else { return nil }
        var policy = Policy()
        if let node = fields["table"], let table = nftIdentifier(node, path: "table", what: "nftables table name") {
            policy.table = table
        }
        if let node = fields["nflog_group"], let group = integer(node, path: "nflog_group", range: 0...65535) {
            policy.nflogGroup = UInt16(group)
        }
        if let node = fields["socket"], let socket = readSocketPath(node) { policy.socket = socket }
        if let node = fields["socket_group"], let group = readGroupName(node) { policy.socketGroup = group }
        if let node = fields["limits"], let limits = readLimits(node) { policy.limits = limits }
        if let node = fields["sets"] { policy.attach = readSets(node, ownTable: policy.table) }

        let attachMode = fields["sets"] != nil
        if let node = fields["services"] {
            policy.services = readServices(node, attachMode: attachMode)
        } else {
            // Required, like in an empty file: a policy that forgot its services
            // must not load as a valid one that silently opens nothing.
            error(root, "missing key \"services\"; a policy needs a list of services (\"services: []\" opens nothing)")
        }
        return policy
    }

    private func readSocketPath(_ node: Node) -> String? {
        guard let path = text(node, path: "socket", what: "an absolute path") else { return nil }
        if let problem = SocketPathRule.problem(path) {
            error(node, "socket: \(problem)")
            return nil
        }
        return path
    }

    private func readGroupName(_ node: Node) -> String? {
        guard let name = text(node, path: "socket_group", what: "a group name") else { return nil }
        let ok = !name.isEmpty && name.utf8.count <= 32 && !name.hasPrefix("-")
            && name.utf8.allSatisfy { PolicyReader.isLetter($0) || PolicyReader.isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        guard ok else {
            error(node, "socket_group: \"\(name)\" is not a valid group name; use letters, digits, _, - or . (at most 32)")
            return nil
        }
        if let problem = groupProblem?(name) {
            error(node, "socket_group: \(problem)")
            return nil
        }
        return name
    }

    private func readLimits(_ node: Node) -> Limits? {
        guard let fields = mapping(node, path: "limits", allowed: PolicyReader.limitKeys, what: "limits") else { return nil }
        var limits = Limits()
        if let node = fields["pinholes_per_session"],
           let value = integer(node, path: fields.path("pinholes_per_session"), range: PolicyDefaults.pinholesPerSessionRange) {
            limits.pinholesPerSession = value
        }
        if let node = fields["sessions"], let value = integer(node, path: fields.path("sessions"), range: PolicyDefaults.sessionsRange) {
            limits.sessions = value
        }
        if let node = fields["pinholes"], let value = integer(node, path: fields.path("pinholes"), range: PolicyDefaults.pinholesRange) {
            limits.pinholes = value
        }
        return limits
    }

    /// `sets:` — attach mode. `table` is "FAMILY NAME" or "NAME" (family inet).
    private func readSets(_ node: Node, ownTable: String) -> AttachSets? {
        guard let fields = mapping(node, path: "sets", allowed: PolicyReader.setKeys, what: "attach-mode sets") else { return nil }
        var ok = true
        for key in PolicyReader.setKeys where fields[key] == nil {
            error(fields.node, "sets: missing key \"\(key)\"; attach mode needs table, ipv4 and ipv6")
            ok = false
        }
        var family = "inet", table = ""
        if let node = fields["table"], let text = text(node, path: "sets.table", what: "\"FAMILY NAME\" such as \"inet filter\"") {
            let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if words.count == 2 { family = words[0] }
            table = words.last ?? ""
            if !(1...2).contains(words.count) || !["inet", "ip", "ip6"].contains(family) || !PolicyReader.isNftIdentifier(table) {
                error(node, "sets.table: \"\(text)\" is not a table; write \"FAMILY NAME\" with family inet, ip or ip6 (e.g. \"inet filter\"), or just NAME for inet")
                ok = false
            } else if family == "inet", table == ownTable {
                error(node, "sets.table: \"\(text)\" is pinholed's own table (table: \(ownTable)); attach mode writes into your table, so name it here")
                ok = false
            }
        }
        let ipv4 = fields["ipv4"].flatMap { nftIdentifier($0, path: "sets.ipv4", what: "set name") }
        let ipv6 = fields["ipv6"].flatMap { nftIdentifier($0, path: "sets.ipv6", what: "set name") }
        if let ipv4, let ipv6, ipv4 == ipv6, let node = fields["ipv6"] {
            error(node, "sets.ipv6: \"\(ipv6)\" is also the IPv4 set; the two families need two sets")
            ok = false
        }
        guard ok, let ipv4, let ipv6 else { return nil }
        return AttachSets(family: family, table: table, ipv4: ipv4, ipv6: ipv6)
    }
}
