@testable import PinholeDaemon
import XCTest

/// Without CAP_NET_ADMIN pinholed exits 2 with the reason, before any netlink call.
final class NetAdminCapabilityTests: XCTestCase {
    func testCapEffBitTwelve() {
        XCTAssertEqual(NetAdminCapability.isEffective(inStatus: "Name:\tpinholed\nCapEff:\t000001ffffffffff\n"), true)
        XCTAssertEqual(NetAdminCapability.isEffective(inStatus: "CapEff:\t0000000000001000\n"), true)
        XCTAssertEqual(NetAdminCapability.isEffective(inStatus: "CapEff:\t0000000000000fff\nCapBnd:\t000001ffffffffff\n"), false)
        XCTAssertEqual(NetAdminCapability.isEffective(inStatus: "CapEff:\t0000000000000000"), false)
        XCTAssertNil(NetAdminCapability.isEffective(inStatus: "CapPrm:\t0000000000001000\n"))
        XCTAssertNil(NetAdminCapability.isEffective(inStatus: "CapEff:\tzz\n"))
    }

    func testItIsBeyondARestart() {
        XCTAssertTrue(DaemonError.noNetAdmin.restartCannotFix)
        XCTAssertTrue(DaemonError.noNetAdmin.description.contains("CAP_NET_ADMIN"))
    }
}
