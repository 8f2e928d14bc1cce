import PinholeCore

/// Every default and every allowed range of the policy file, in one place.
/// policies/README.md is the user-facing copy of this table; keep them equal.
///
/// | key                         | default                        | allowed                               |
/// |-----------------------------|--------------------------------|---------------------------------------|
/// | `table`                     | `pinhole`                      | `[A-Za-z][A-Za-z0-9_]{0,31}`          |
/// | `nflog_group`               | `2121`                         | 0-65535                               |
/// | `socket`                    | `/run/nft-pinhole/control.sock`| absolute path, at most 107 bytes      |
/// | `socket_group`              | none (socket is root-only)     | a group name                          |
/// | `services`                  | required (`[]` opens nothing)  | list of services                      |
/// | `limits.pinholes_per_session` | `4`                          | 1-64                                  |
/// | `limits.sessions`           | `10000`                        | 1-1000000                             |
/// | `limits.pinholes`           | `20000`                        | 1-1000000                             |
/// | `sets`                      | none (own sets)                | `table`, `ipv4`, `ipv6`               |
/// | service `name`              | required                       | `[a-z0-9][a-z0-9_-]{0,31}`, unique    |
/// | service `servers`           | required                       | non-empty list of addresses/prefixes  |
/// | service `clients`           | `any`                          | list of addresses/prefixes, or `any`  |
/// | service `control_port`      | `21`                           | 1-65535                               |
/// | service `passive`           | `true`                         | `true`/`false`                        |
/// | service `active`            | `false`                        | `true`/`false`                        |
/// | service `data_ports`        | `1024-65535`                   | `LOW-HIGH` or one port, in 1024-65535 |
/// | service `pinhole_timeout`   | `30s`                          | 1s-1h (`1500ms`, `30s`, `2m`, `1h`, or seconds) |
/// | service `enforce`           | `true`, but `false` with `sets:` | `true`/`false`; `true` is an error with `sets:` |
public enum PolicyDefaults {
    public static let table = Policy.defaultTable
    public static let nflogGroup = Policy.defaultNflogGroup
    public static let socket = Policy.defaultSocket

    public static let pinholesPerSession = 4
    public static let pinholesPerSessionRange = 1...64
    public static let sessions = 10_000
    public static let sessionsRange = 1...1_000_000
    public static let pinholes = 20_000
    public static let pinholesRange = 1...1_000_000

    public static let controlPort: UInt16 = 21
    public static let passive = true
    public static let active = false
    public static let dataPorts = PortRange(lower: 1024, upper: 65535)!
    /// Data ports never go below this: a pinhole to a privileged port is never wanted.
    public static let lowestDataPort: UInt16 = 1024
    public static let pinholeTimeoutMs: UInt64 = 30_000
    public static let pinholeTimeoutRangeMs: ClosedRange<UInt64> = 1_000...3_600_000
    /// Own mode: pinholed's chains enforce. Attach mode: the user's rules do, so false.
    public static let enforce = true
    public static let enforceInAttachMode = false
    /// A Unix socket path must fit `sun_path` (108 bytes with the NUL).
    public static let maxSocketPathBytes = 107
    /// Files larger than this are refused before parsing.
    public static let maxPolicyFileBytes = 1 << 20
}
