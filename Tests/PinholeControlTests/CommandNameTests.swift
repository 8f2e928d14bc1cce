import PinholedCLI
import XCTest

/// pinholed's binary runs pinholectl when called by that name (a symlink).
final class CommandNameTests: XCTestCase {
    func testTheNameIsArgvZerosLastComponent() {
        XCTAssertEqual(CommandName.invoked("/usr/bin/pinholectl"), "pinholectl")
        XCTAssertEqual(CommandName.invoked("pinholectl"), "pinholectl")
        XCTAssertEqual(CommandName.invoked("./bin//pinholectl"), "pinholectl")
        XCTAssertEqual(CommandName.invoked("/usr/sbin/pinholed"), "pinholed")
        // A directory called pinholectl does not make pinholed a client.
        XCTAssertEqual(CommandName.invoked("/opt/pinholectl/pinholed"), "pinholed")
        XCTAssertEqual(CommandName.invoked(""), "")
    }
}
