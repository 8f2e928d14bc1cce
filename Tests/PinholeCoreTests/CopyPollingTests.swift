import PinholeCore
import XCTest

final class CopyPollingTests: XCTestCase {
    let us: UInt64 = 1000
    let polling = CopyPolling(intervalMicroseconds: 100)

    private func look(afterCopy gap: UInt64, sessionsOpen: Bool = true, raceGuarded: Bool = true,
                      _ p: CopyPolling? = nil) -> UInt64? {
        let copy = Instant(nanoseconds: 5_000_000_000)
        return (p ?? polling).nextLook(now: Instant(nanoseconds: copy.nanoseconds + gap), lastCopy: copy,
                                       sessionsOpen: sessionsOpen, raceGuarded: raceGuarded)
    }

    func testLooksEveryIntervalWhileCopiesAreRecent() {
        XCTAssertEqual(look(afterCopy: 0), 100 * us)
        XCTAssertEqual(look(afterCopy: 250 * us), 100 * us)
        XCTAssertEqual(look(afterCopy: 400 * us), 100 * us, "up to steadyIntervals intervals after the copy")
    }

    func testBacksOffAsTheGapGrowsUpToTheCap() {
        XCTAssertEqual(look(afterCopy: 401 * us), 401 * us, "as long again as the gap so far")
        XCTAssertEqual(look(afterCopy: 1_500 * us), 1_500 * us)
        XCTAssertEqual(look(afterCopy: 2_000 * us), CopyPolling.maxIntervalNanoseconds)
        XCTAssertEqual(look(afterCopy: 19_999 * us), CopyPolling.maxIntervalNanoseconds)
    }

    func testAQuietSessionSleepsUntilWokenPastTheHorizon() {
        XCTAssertNil(look(afterCopy: CopyPolling.horizonNanoseconds))
        XCTAssertNil(look(afterCopy: 3_600_000_000 * us))
    }

    func testNeverWithoutTheRaceGuardAnOpenSessionOrAnInterval() {
        XCTAssertNil(look(afterCopy: 0, raceGuarded: false), "a SYN that beats its pinhole would be dropped")
        XCTAssertNil(look(afterCopy: 0, sessionsOpen: false), "the next copy starts a session: nothing predicts it")
        XCTAssertNil(look(afterCopy: 0, CopyPolling(intervalMicroseconds: 0)), "0 turns it off")
    }

    func testAnIntervalLongerThanTheCapStaysItsOwnLength() {
        let slow = CopyPolling(intervalMicroseconds: 5_000)
        XCTAssertEqual(look(afterCopy: 0, slow), 5_000 * us)
        XCTAssertNil(look(afterCopy: 20_000 * us, slow))
    }

    func testACopyStampedAfterNowIsNoReasonToTick() {
        // The clock is monotonic, so this is only a caller's mistake; it must not underflow.
        let now = Instant(nanoseconds: 1_000)
        XCTAssertNil(polling.nextLook(now: now, lastCopy: Instant(nanoseconds: 2_000), sessionsOpen: true,
                                      raceGuarded: true))
    }

    func testTheFirstCopyEverIsLongPast() {
        // The daemon starts with lastCopy at 0: no ticking before any copy came.
        XCTAssertNil(polling.nextLook(now: Instant(nanoseconds: 50_000_000), lastCopy: Instant(nanoseconds: 0),
                                      sessionsOpen: true, raceGuarded: true))
    }
}
