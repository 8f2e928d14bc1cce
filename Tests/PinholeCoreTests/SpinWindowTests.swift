import PinholeCore
import XCTest

final class SpinWindowTests: XCTestCase {
    let us: UInt64 = 1000

    func testStartsOffAndGrowsFromTheStartStepForShortWaits() {
        var w = SpinWindow(limitMicroseconds: 200)
        XCTAssertEqual(w.nanoseconds, 0, "no spin before any wait was seen")
        w.record(waited: 30 * us)
        XCTAssertEqual(w.nanoseconds, SpinWindow.growStartNanoseconds)
        w.record(waited: 30 * us)
        XCTAssertEqual(w.nanoseconds, 2 * SpinWindow.growStartNanoseconds)
        w.record(waited: 150 * us)
        XCTAssertEqual(w.nanoseconds, 4 * SpinWindow.growStartNanoseconds)
    }

    func testNeverSpinsLongerThanTheLimit() {
        var w = SpinWindow(limitMicroseconds: 200)
        for _ in 0..<20 { w.record(waited: 199 * us) }
        XCTAssertEqual(w.nanoseconds, 200 * us)
        w.record(waited: 200 * us)
        XCTAssertEqual(w.nanoseconds, 200 * us)
    }

    func testAWaitTheSpinCoveredChangesNothing() {
        var w = SpinWindow(limitMicroseconds: 200)
        for _ in 0..<3 { w.record(waited: 100 * us) }  // 40 µs
        XCTAssertEqual(w.nanoseconds, 40 * us)
        w.record(waited: 40 * us)
        w.record(waited: 1 * us)
        XCTAssertEqual(w.nanoseconds, 40 * us)
    }

    func testLongWaitsHalveItDownToOff() {
        var w = SpinWindow(limitMicroseconds: 200)
        for _ in 0..<20 { w.record(waited: 100 * us) }
        XCTAssertEqual(w.nanoseconds, 160 * us, "10, 20, 40, 80, 160: a 100 µs wait is then covered")
        w.record(waited: 199 * us)
        XCTAssertEqual(w.nanoseconds, 200 * us)
        w.record(waited: 1_000 * us)
        XCTAssertEqual(w.nanoseconds, 100 * us)
        for _ in 0..<3 { w.record(waited: 1_000_000 * us) }  // 50, 25, 12.5
        XCTAssertEqual(w.nanoseconds, 12_500)
        w.record(waited: 1_000 * us)
        XCTAssertEqual(w.nanoseconds, 0, "an idle firewall does not spin")
        w.record(waited: 1_000 * us)
        XCTAssertEqual(w.nanoseconds, 0)
    }

    func testZeroLimitNeverSpins() {
        var w = SpinWindow(limitMicroseconds: 0)
        for waited in [0, 1, 10, 100_000] as [UInt64] { w.record(waited: waited * us) }
        XCTAssertEqual(w.nanoseconds, 0)
    }

    func testHostileWaitValuesStayInBounds() {
        var w = SpinWindow(limitMicroseconds: 10_000)
        for waited in [UInt64.max, 0, 9_999_999, UInt64.max / 2, 1] { w.record(waited: waited) }
        XCTAssertLessThanOrEqual(w.nanoseconds, w.limitNanoseconds)
        w = SpinWindow(limitMicroseconds: UInt32.max)  // the command line caps it; the type must not overflow
        for _ in 0..<80 { w.record(waited: 1) ; w.record(waited: w.nanoseconds + 1) }
        XCTAssertLessThanOrEqual(w.nanoseconds, w.limitNanoseconds)
    }
}
