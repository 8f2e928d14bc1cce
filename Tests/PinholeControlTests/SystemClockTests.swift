import Glibc
@testable import PinholeDaemon
import XCTest

/// `SystemClock.rfc3339` writes its digits in place; strftime is the reference.
final class SystemClockTests: XCTestCase {
    static func strftimeReference(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down))
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        var out = [CChar](repeating: 0, count: 32)
        let n = strftime(&out, out.count, "%Y-%m-%dT%H:%M:%S", &tm)
        XCTAssertGreaterThan(n, 0)
        let ms = Int((seconds - Double(t)) * 1000)
        return String(decoding: out.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) + "." + String(repeating: "0", count: ms < 10 ? 2 : ms < 100 ? 1 : 0) + "\(ms)Z"
    }

    func testMatchesStrftimeAcrossDatesAndMilliseconds() {
        XCTAssertEqual(SystemClock.rfc3339(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(SystemClock.rfc3339(1_795_601_274.1235), "2026-11-25T10:07:54.123Z")
        XCTAssertEqual(SystemClock.rfc3339(4_102_444_799.999), "2099-12-31T23:59:59.999Z")
        // Every month, day and hour edge of a few years, with odd milliseconds.
        var seconds = 946_684_800.0  // 2000-01-01
        while seconds < 2_000_000_000 {
            for fraction in [0.0, 0.001, 0.0505, 0.5, 0.999] {
                XCTAssertEqual(SystemClock.rfc3339(seconds + fraction), Self.strftimeReference(seconds + fraction))
            }
            seconds += 86_400 * 7 + 3_599
        }
        XCTAssertEqual(SystemClock.rfc3339(SystemClock.wallSeconds()).count, 24)
    }
}
