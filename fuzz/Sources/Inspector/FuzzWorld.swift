/// The fixed little world every inspector fuzz program runs in: a few
/// policies that differ in what they allow, and a few control connections.
/// Limits are the same in every policy, so a reload never lowers them under
/// what is already open.
enum FuzzWorld {
    static let limits = Limits(pinholesPerSession: 2, sessions: 3, pinholes: 4)

    static let policies: [Policy] = [
        policy(active: true, ports4: range(50000, 50005), clients4: ["198.51.100.0/25"], timeoutMs: 1_000),
        policy(active: false, ports4: range(1024, 65535), clients4: [], timeoutMs: 30_000),
        policy(active: true, ports4: range(49000, 60000), clients4: ["198.51.100.2/32"], timeoutMs: 5_000),
        policy(active: true, ports4: range(50001, 50001), clients4: ["198.51.100.0/24"], timeoutMs: 2_000),
    ]

    private static func range(_ lower: UInt16, _ upper: UInt16) -> PortRange { PortRange(lower: lower, upper: upper)! }

    private static func policy(active: Bool, ports4: PortRange, clients4: [String], timeoutMs: UInt64) -> Policy {
        Policy(services: [
            Service(name: "ftp4", servers: [IPPrefix("203.0.113.10/32")!], clients: clients4.map { IPPrefix($0)! },
                    active: active, dataPorts: ports4, pinholeTimeoutMs: timeoutMs),
            Service(name: "ftp6", servers: [IPPrefix("2001:db8:2::/64")!], active: true,
                    pinholeTimeoutMs: timeoutMs),
            Service(name: "alt", servers: [IPPrefix("203.0.113.11/32")!], controlPort: 2121, passive: false,
                    active: true, dataPorts: range(40000, 60000), pinholeTimeoutMs: timeoutMs),
        ], limits: limits)
    }

    /// One TCP connection the program can send segments on.
    struct Connection {
        var client: IPAddress
        var clientPort: UInt16
        var server: IPAddress
        var serverPort: UInt16
        /// Initial sequence numbers; the client's sits just below 2^32 so its stream wraps.
        var clientISN: UInt32
        var serverISN: UInt32
    }

    static let connections: [Connection] = [
        // An allowed client; two connections from it to the same server, so
        // the same pinhole tuple can be negotiated by two sessions.
        Connection(client: ip("198.51.100.2"), clientPort: 40000, server: ip("203.0.113.10"), serverPort: 21,
                   clientISN: 0xffff_ff80, serverISN: 1000),
        Connection(client: ip("198.51.100.2"), clientPort: 40004, server: ip("203.0.113.10"), serverPort: 21,
                   clientISN: 7, serverISN: 0x8000_0000),
        // A client outside the clients of some policies.
        Connection(client: ip("198.51.100.200"), clientPort: 40001, server: ip("203.0.113.10"), serverPort: 21,
                   clientISN: 1, serverISN: 0xffff_fff0),
        Connection(client: ip("2001:db8::2"), clientPort: 40002, server: ip("2001:db8:2::10"), serverPort: 21,
                   clientISN: 123_456, serverISN: 654_321),
        Connection(client: ip("198.51.100.2"), clientPort: 40003, server: ip("203.0.113.11"), serverPort: 2121,
                   clientISN: 0, serverISN: 0),
        // Not a control connection in any policy.
        Connection(client: ip("198.51.100.2"), clientPort: 40005, server: ip("203.0.113.10"), serverPort: 22,
                   clientISN: 5, serverISN: 5),
    ]

    /// Addresses a forged reply or command may name instead of the true one.
    static let otherAddresses: [IPAddress] = [
        ip("198.51.100.2"), ip("198.51.100.200"), ip("203.0.113.10"), ip("203.0.113.11"),
        ip("2001:db8::2"), ip("2001:db8:2::10"),
    ]

    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
}
