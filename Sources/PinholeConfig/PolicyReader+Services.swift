import PinholeCore
import Yams

/// `services:` and the checks that span services.
extension PolicyReader {
    static let serviceKeys = ["name", "servers", "clients", "control_port", "passive", "active",
                              "data_ports", "pinhole_timeout", "enforce"]

    /// A read service with the nodes later checks point at.
    private struct ReadService {
        var service: Service
        var path: String
        var nameNode: Node
        var serverNodes: [(IPPrefix, Node)]
    }

    func readServices(_ node: Node, attachMode: Bool) -> [Service] {
        guard let items = sequence(node, path: "services", what: "a list of services (use [] for none)") else { return [] }
        var read: [ReadService] = []
        for (index, item) in items.enumerated() {
            if let service = readService(item, path: "services[\(index)]", attachMode: attachMode) {
                read.append(service)
            }
        }
        checkUniqueNames(read)
        checkOverlappingServers(read)
        return read.map(\.service)
    }

    private func readService(_ node: Node, path: String, attachMode: Bool) -> ReadService? {
        guard let fields = mapping(node, path: path, allowed: PolicyReader.serviceKeys, what: "a service") else { return nil }
        var complete = true
        for (key, meaning) in [("name", "a unique name"), ("servers", "the FTP servers' addresses or prefixes")] where fields[key] == nil {
            error(node, "\(path): missing required key \"\(key)\" (\(meaning))")
            complete = false
        }

        let name = fields["name"].flatMap { readServiceName($0, path: fields.path("name")) }
        let servers = fields["servers"].flatMap { readServers($0, path: fields.path("servers")) } ?? []
        var service = Service(name: name ?? "", servers: servers.map(\.0), enforce: attachMode ? PolicyDefaults.enforceInAttachMode : PolicyDefaults.enforce)

        if let node = fields["clients"] {
            service.clients = readClients(node, path: fields.path("clients"), serverFamilies: Set(servers.map(\.0.family))) ?? []
        }
        if let node = fields["control_port"], let port = port(node, path: fields.path("control_port")) { service.controlPort = port }
        if let node = fields["passive"], let value = boolean(node, path: fields.path("passive")) { service.passive = value }
        if let node = fields["active"], let value = boolean(node, path: fields.path("active")) { service.active = value }
        if let node = fields["data_ports"], let range = dataPorts(node, path: fields.path("data_ports")) { service.dataPorts = range }
        if let node = fields["pinhole_timeout"],
           let ms = duration(node, path: fields.path("pinhole_timeout"), range: PolicyDefaults.pinholeTimeoutRangeMs) {
            service.pinholeTimeoutMs = ms
        }
        if let node = fields["enforce"], let value = boolean(node, path: fields.path("enforce")) {
            if value && attachMode {
                error(node, "\(fields.path("enforce")): true is not possible with sets: (attach mode); in attach mode the user's rules enforce; set enforce: false")
            }
            service.enforce = value
        }
        if !service.passive && !service.active {
            let at = fields.key("active") ?? fields.key("passive") ?? node
            error(at, "\(path): passive and active are both false, so this service would open nothing; set passive: true, active: true, or both")
        }
        guard complete, let name, !servers.isEmpty else { return nil }
        service.name = name
        return ReadService(service: service, path: path, nameNode: fields["name"]!, serverNodes: servers)
    }

    private func readServiceName(_ node: Node, path: String) -> String? {
        guard let name = text(node, path: path, what: "a service name") else { return nil }
        let bytes = Array(name.utf8)
        let lowerOrDigit = { (c: UInt8) in PolicyReader.isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) }
        guard let first = bytes.first, bytes.count <= 32, lowerOrDigit(first),
              bytes.allSatisfy({ lowerOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
            error(node, "\(path): \"\(name)\" is not a valid service name; use a lowercase letter or digit, then up to 31 lowercase letters, digits, _ or -")
            return nil
        }
        return name
    }

    private func readServers(_ node: Node, path: String) -> [(IPPrefix, Node)]? {
        guard let items = sequence(node, path: path, what: "a list of server addresses or prefixes") else { return nil }
        if items.isEmpty {
            error(node, "\(path): the list is empty; name at least one FTP server address or prefix")
            return nil
        }
        var servers: [(IPPrefix, Node)] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if case .scalar(let s) = item, s.string == "any" {
                error(item, "\(itemPath): servers cannot be any; list the FTP servers' addresses or prefixes")
                continue
            }
            guard let prefix = prefix(item, path: itemPath) else { continue }
            if let earlier = servers.first(where: { $0.0 == prefix }) {
                error(item, "\(itemPath): \(prefix) is listed twice (first at line \(earlier.1.mark?.line ?? 0))")
                continue
            }
            servers.append((prefix, item))
        }
        return servers
    }

    /// A list of prefixes, or `any` (alone, as a word or a one-item list) for everyone: [].
    private func readClients(_ node: Node, path: String, serverFamilies: Set<IPFamily>) -> [IPPrefix]? {
        if case .scalar(let s) = node, s.string == "any" { return [] }
        guard let items = sequence(node, path: path, what: "a list of client addresses or prefixes, or any") else { return nil }
        if items.isEmpty {
            error(node, "\(path): the list is empty, which would allow nobody; write [any] or list the clients")
            return nil
        }
        var clients: [IPPrefix] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if case .scalar(let s) = item, s.string == "any" {
                if items.count > 1 { error(item, "\(itemPath): any must stand alone; it already allows every client") }
                continue
            }
            guard let prefix = prefix(item, path: itemPath) else { continue }
            if !serverFamilies.isEmpty, !serverFamilies.contains(prefix.family) {
                let fam = prefix.family == .ipv4 ? "IPv4" : "IPv6"
                error(item, "\(itemPath): \(prefix) is \(fam) but no server of this service is \(fam); remove it or add an \(fam) server")
                continue
            }
            clients.append(prefix)
        }
        return clients
    }

    private func checkUniqueNames(_ services: [ReadService]) {
        for (i, s) in services.enumerated() {
            if let first = services[..<i].first(where: { $0.service.name == s.service.name }) {
                error(s.nameNode, "\(s.path).name: \"\(s.service.name)\" is already used by \(first.path); service names must be unique")
            }
        }
    }

    /// Two services answering for the same server and control port would both
    /// claim every session; the policy must say which one applies.
    private func checkOverlappingServers(_ services: [ReadService]) {
        for (i, s) in services.enumerated() {
            for other in services[..<i] where other.service.controlPort == s.service.controlPort {
                for (prefix, node) in s.serverNodes {
                    guard let clash = other.service.servers.first(where: { $0.overlaps(prefix) }) else { continue }
                    error(node, "\(s.path).servers: \(prefix) overlaps \(clash) of \(other.path) (\"\(other.service.name)\") on the same control_port \(s.service.controlPort); a server and control port may belong to one service only")
                }
            }
        }
    }
}
