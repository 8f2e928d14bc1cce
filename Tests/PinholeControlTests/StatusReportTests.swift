@testable import PinholeCore
@testable import PinholeDaemon
import XCTest

/// `list`'s order: oldest first, pinholes created at the same instant by
/// their key's text (the keys are written out once, before the sort).
final class StatusReportTests: XCTestCase {
    private func pinhole(_ initiator: String, _ port: UInt16, created: UInt64) -> Pinhole {
        let key = PinholeKey(initiator: IPAddress(initiator)!, responder: IPAddress("203.0.113.10")!, port: port)
        let session = ConnectionKey(client: key.initiator, clientPort: 40_000, server: key.responder, serverPort: 21)
        let at = Instant(nanoseconds: created)
        return Pinhole(key: key, service: "lab", mode: .passive, session: session, created: at,
                       expires: at.adding(milliseconds: 30_000))
    }

    func testOldestFirstThenByKeyText() {
        let svc = Service(name: "lab", servers: [IPPrefix("203.0.113.10")!], clients: [], controlPort: 21,
                          passive: true, active: false, dataPorts: PortRange(lower: 50_000, upper: 50_100)!,
                          pinholeTimeoutMs: 30_000, enforce: true)
        var inspector = Inspector(policy: Policy(services: [svc], limits: Limits()))
        let ps = [pinhole("198.51.100.9", 50_001, created: 2_000), pinhole("198.51.100.3", 50_002, created: 2_000),
                  pinhole("198.51.100.7", 50_003, created: 1_000), pinhole("198.51.100.3", 50_001, created: 2_000)]
        for p in ps { inspector.pinholes[p.key] = p }
        let report = StatusReport(inspector: inspector, now: Instant(nanoseconds: 3_000), wallNow: 1_800_000_000)
        let listed = report.pinholes().map { "\($0.initiator):\($0.port)" }
        XCTAssertEqual(listed, ["198.51.100.7:50003", "198.51.100.3:50001", "198.51.100.3:50002", "198.51.100.9:50001"])
        // The same order the old comparator gave, which wrote the keys out in it.
        let old = ps.sorted { ($0.created, $0.key.description) < ($1.created, $1.key.description) }
        XCTAssertEqual(listed, old.map { "\($0.key.initiator):\($0.key.port)" })
    }
}
