import PinholeCore
import XCTest

final class SpinWindowTests: XCTestCase {
    func testSpinsTheWholeLimitOnlyWhileADataConnectionIsExpectedInAnOpenSession() {
        let w = SpinWindow(limitMicroseconds: 200)
        XCTAssertEqual(w.limitNanoseconds, 200_000)
        XCTAssertEqual(w.spin(sessionsOpen: true, dataConnectionExpected: true), 200_000, "the whole limit")
        XCTAssertEqual(w.spin(sessionsOpen: true, dataConnectionExpected: false), 0,
                       "between a session's exchanges the next event is nobody's to predict: sleep")
        XCTAssertEqual(w.spin(sessionsOpen: false, dataConnectionExpected: true), 0, "no session: nothing to spin for")
        XCTAssertEqual(w.spin(sessionsOpen: false, dataConnectionExpected: false), 0)
    }

    func testZeroLimitNeverSpins() {
        let w = SpinWindow(limitMicroseconds: 0)
        for open in [false, true] {
            for expected in [false, true] {
                XCTAssertEqual(w.spin(sessionsOpen: open, dataConnectionExpected: expected), 0)
            }
        }
    }

    func testTheLargestLimitDoesNotOverflow() {
        // The command line caps --busy-poll-us at 10000; the type must hold any UInt32.
        XCTAssertEqual(SpinWindow(limitMicroseconds: UInt32.max).limitNanoseconds, UInt64(UInt32.max) * 1000)
        XCTAssertEqual(SpinWindow(limitMicroseconds: 10_000).spin(sessionsOpen: true, dataConnectionExpected: true),
                       10_000_000)
    }
}
