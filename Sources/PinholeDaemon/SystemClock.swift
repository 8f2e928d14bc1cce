import Glibc
import PinholeCore

/// The two clocks the daemon reads: monotonic for deadlines (the core's
/// `Instant`), wall time only to print `created` in RFC 3339.
enum SystemClock {
    static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// RFC 3339 UTC with milliseconds: 2026-11-25T10:07:54.123Z
    static func rfc3339(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down))
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        let ms = Int32(min(999, max(0, (seconds - Double(t)) * 1000)))
        // Digits written in place, one string and no pieces: every log line starts with this.
        return String(unsafeUninitializedCapacity: 24) { out in
            var n = 0
            // `digits` digits of `v`, zero-padded, filled from the right; then `separator`.
            func put(_ v: Int32, digits: Int, then separator: Unicode.Scalar) {
                var v = v
                for k in stride(from: digits - 1, through: 0, by: -1) {
                    out[n + k] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
                    v /= 10
                }
                out[n + digits] = UInt8(ascii: separator)
                n += digits + 1
            }
            put(tm.tm_year + 1900, digits: 4, then: "-")
            put(tm.tm_mon + 1, digits: 2, then: "-")
            put(tm.tm_mday, digits: 2, then: "T")
            put(tm.tm_hour, digits: 2, then: ":")
            put(tm.tm_min, digits: 2, then: ":")
            put(tm.tm_sec, digits: 2, then: ".")
            put(ms, digits: 3, then: "Z")
            return n
        }
    }
}
