import PinholeCore
import XCTest

final class WarningThrottleTests: XCTestCase {
    private func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    /// The first event warns; then at most one warning per interval, each
    /// with the count since the last; after a quiet spell the first warns again.
    func testOneWarningPerIntervalWithTheCountSinceTheLast() {
        var t = WarningThrottle(intervalNanoseconds: 10_000_000_000)
        XCTAssertEqual(t.note(at: at(100)), 1)
        XCTAssertNil(t.note(at: at(100.001)))
        XCTAssertNil(t.note(at: at(105)))
        XCTAssertNil(t.note(at: at(109.999)))
        XCTAssertEqual(t.note(at: at(110)), 4, "three debug lines, then this one")
        XCTAssertEqual(t.note(at: at(5_000)), 1, "a flood an hour later warns at once")
    }

    /// A clock that goes back (it should not: the daemon's is monotonic) warns rather than stays silent.
    func testAnEarlierInstantWarns() {
        var t = WarningThrottle()
        XCTAssertEqual(t.note(at: at(100)), 1)
        XCTAssertEqual(t.note(at: at(50)), 1)
    }
}
