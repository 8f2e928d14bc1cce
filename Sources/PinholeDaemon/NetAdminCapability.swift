import Glibc

/// Whether this process may administer the network, which nftables, NFLOG,
/// NFQUEUE and conntrack all check. Without it the first netlink request
/// fails with an EPERM that libnftables words as "cache initialization
/// failed", and a restart cannot help (the unit's User=, DynamicUser= or a
/// CapabilityBoundingSet= without it): so it is checked first, by name.
enum NetAdminCapability {
    /// CAP_NET_ADMIN's bit (linux/capability.h).
    static let bit: UInt64 = 12

    /// From /proc/self/status; nil when that cannot be read (then the netlink
    /// calls decide, as before).
    static func isEffective() -> Bool? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {  // the file is under 2 KiB
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return isEffective(inStatus: String(decoding: bytes, as: UTF8.self))
    }

    /// The `CapEff:` line's hex mask, bit 12. nil without a readable line.
    static func isEffective(inStatus status: String) -> Bool? {
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = String(line.dropFirst("CapEff:".count).filter { !$0.isWhitespace })
            guard let mask = UInt64(hex, radix: 16) else { return nil }
            return mask & (1 << bit) != 0
        }
        return nil
    }
}
