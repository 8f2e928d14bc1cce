@testable import PinholeCore

/// Shared helpers for the packet/stream/FTP parser tests. Namespaced so they do not
/// collide with helpers of other test files in this target.
enum CoreFixtures {
    /// Deterministic RNG (SplitMix64) so property tests are reproducible.
    struct SeededRNG: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A passive pinhole 198.51.100.2 -> 203.0.113.10:PORT of the lab's
    /// session from client port 40000, created at `created`.
    static func pinhole(_ port: UInt16, created: Instant, expiresInMs: UInt64) -> Pinhole {
        let key = PinholeKey(initiator: IPAddress("198.51.100.2")!, responder: IPAddress("203.0.113.10")!, port: port)
        let s = ConnectionKey(client: key.initiator, clientPort: 40_000, server: key.responder, serverPort: 21)
        return Pinhole(key: key, service: "lab", mode: .passive, session: s, created: created,
                       expires: created.adding(milliseconds: expiresInMs))
    }

    static func randomBytes(_ count: Int, _ rng: inout SeededRNG) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func v4(_ text: String) -> IPAddress { IPAddress(text)! }

    /// A TCP header (no options unless given) followed by the payload.
    static func tcp(sourcePort: UInt16 = 40000, destinationPort: UInt16 = 21, sequence: UInt32 = 1000,
                    flags: UInt8 = 0x18, options: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let dataOffset = UInt8((20 + options.count) / 4)
        var t: [UInt8] = [
            UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xff),
            UInt8(sequence >> 24), UInt8(sequence >> 16 & 0xff), UInt8(sequence >> 8 & 0xff), UInt8(sequence & 0xff),
            0, 0, 0, 0,
            dataOffset << 4, flags, 0xff, 0xff,
            0, 0, 0, 0,
        ]
        t += options
        t += payload
        return t
    }

    /// An IPv4 header (IHL 5 unless options given) around `body`.
    static func ipv4(source: String = "198.51.100.2", destination: String = "203.0.113.10",
                     protocolNumber: UInt8 = 6, flagsAndOffset: UInt16 = 0x4000, options: [UInt8] = [],
                     body: [UInt8], padding: [UInt8] = []) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        let total = headerLength + body.count
        var h: [UInt8] = [
            0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xff),
            0x12, 0x34, UInt8(flagsAndOffset >> 8), UInt8(flagsAndOffset & 0xff),
            64, protocolNumber, 0, 0,
        ]
        h += v4(source).bytes + v4(destination).bytes + options
        return h + body + padding
    }

    /// An IPv6 header around `extensions + body`; `next` is the first next-header value.
    static func ipv6(source: String = "2001:db8::2", destination: String = "2001:db8:1::10",
                     next: UInt8 = 6, extensions: [UInt8] = [], body: [UInt8], padding: [UInt8] = []) -> [UInt8] {
        let payloadLength = extensions.count + body.count
        var h: [UInt8] = [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xff), next, 64]
        h += IPAddress(source)!.bytes + IPAddress(destination)!.bytes
        return h + extensions + body + padding
    }

    /// An 8-byte-unit extension header (hop-by-hop, routing, destination options).
    static func extensionHeader(next: UInt8, units: Int = 0) -> [UInt8] {
        [next, UInt8(units)] + [UInt8](repeating: 0, count: 6 + units * 8)
    }

    /// An AH header: length field counts 4-byte units minus 2.
    static func authenticationHeader(next: UInt8, lengthField: UInt8 = 4) -> [UInt8] {
        [next, lengthField] + [UInt8](repeating: 0, count: (Int(lengthField) + 2) * 4 - 2)
    }

    /// Every way to cut `data` in two, plus byte-by-byte: the chunkings split tests feed.
    static func chunkings(_ data: [UInt8]) -> [[[UInt8]]] {
        var all: [[[UInt8]]] = [[data], data.map { [$0] }]
        for cut in 1..<max(data.count, 1) { all.append([Array(data[..<cut]), Array(data[cut...])]) }
        return all
    }
}
