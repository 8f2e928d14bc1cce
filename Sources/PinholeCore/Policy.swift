/// The validated policy: what `PinholeConfig` produces from YAML and what the
/// rest of the program trusts without checking again.
public struct Policy: Hashable, Sendable {
    public var table: String
    public var nflogGroup: UInt16
    public var socket: String
    /// Group allowed to read `list` and `status` over the control socket.
    public var socketGroup: String?
    public var services: [Service]
    public var limits: Limits
    /// Attach mode: pinholes go into the user's sets instead of our own.
    public var attach: AttachSets?

    public init(
        table: String = Policy.defaultTable,
        nflogGroup: UInt16 = Policy.defaultNflogGroup,
        socket: String = Policy.defaultSocket,
        socketGroup: String? = nil,
        services: [Service] = [],
        limits: Limits = Limits(),
        attach: AttachSets? = nil
    ) {
        self.table = table
        self.nflogGroup = nflogGroup
        self.socket = socket
        self.socketGroup = socketGroup
        self.services = services
        self.limits = limits
        self.attach = attach
    }

    public static let defaultTable = "pinhole"
    public static let defaultNflogGroup: UInt16 = 2121
    public static let defaultSocket = "/run/nft-pinhole/control.sock"
    public static let defaultPolicyFile = "/etc/nft-pinhole/policy.yaml"

    public func service(named name: String) -> Service? { services.first { $0.name == name } }

    /// Where pinholes of a family are written: (nft family, table, set).
    public func pinholeSet(_ family: IPFamily) -> SetLocation {
        if let attach {
            return SetLocation(family: attach.family, table: attach.table,
                               set: family == .ipv4 ? attach.ipv4 : attach.ipv6)
        }
        return SetLocation(family: "inet", table: table, set: Policy.ownSetName(family))
    }

    /// The sets in pinholed's own table (without `sets:`).
    static func ownSetName(_ family: IPFamily) -> String { family == .ipv4 ? "pinholes4" : "pinholes6" }
}

/// One protected FTP service.
public struct Service: Hashable, Sendable {
    public var name: String
    public var servers: [IPPrefix]
    /// Empty means `any`.
    public var clients: [IPPrefix]
    public var controlPort: UInt16
    public var passive: Bool
    public var active: Bool
    public var dataPorts: PortRange
    /// Milliseconds a pinhole stays open unused.
    public var pinholeTimeoutMs: UInt64
    public var enforce: Bool

    public init(
        name: String,
        servers: [IPPrefix],
        clients: [IPPrefix] = [],
        controlPort: UInt16 = 21,
        passive: Bool = true,
        active: Bool = false,
        dataPorts: PortRange = PortRange(lower: 1024, upper: 65535)!,
        pinholeTimeoutMs: UInt64 = 30_000,
        enforce: Bool = true
    ) {
        self.name = name
        self.servers = servers
        self.clients = clients
        self.controlPort = controlPort
        self.passive = passive
        self.active = active
        self.dataPorts = dataPorts
        self.pinholeTimeoutMs = pinholeTimeoutMs
        self.enforce = enforce
    }

    public func hasServer(_ a: IPAddress) -> Bool { servers.contains { $0.contains(a) } }
    public func allowsClient(_ a: IPAddress) -> Bool { clients.isEmpty || clients.contains { $0.contains(a) } }
}

/// Bounds that keep a flood from exhausting memory or the kernel set.
public struct Limits: Hashable, Sendable {
    public var pinholesPerSession: Int
    public var sessions: Int
    public var pinholes: Int

    public init(pinholesPerSession: Int = 4, sessions: Int = 10_000, pinholes: Int = 20_000) {
        self.pinholesPerSession = pinholesPerSession
        self.sessions = sessions
        self.pinholes = pinholes
    }
}

/// `sets:` in the policy: the user's table and the two sets pinholed fills.
public struct AttachSets: Hashable, Sendable {
    /// nft family of the user's table: inet, ip or ip6.
    public var family: String
    public var table: String
    public var ipv4: String
    public var ipv6: String

    public init(family: String = "inet", table: String, ipv4: String, ipv6: String) {
        self.family = family
        self.table = table
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }
}

/// A set in the kernel, named the way nft names it.
public struct SetLocation: Hashable, Sendable, CustomStringConvertible {
    public var family: String
    public var table: String
    public var set: String

    public init(family: String, table: String, set: String) {
        self.family = family
        self.table = table
        self.set = set
    }

    public var description: String { "\(family) \(table) \(set)" }
}
