import XCTest
@testable import PinholeNetfilter

/// nft's multi-line error text becomes one line: each error with its
/// failing command and the columns its carets marked.
final class RulesetInstallerErrorTests: XCTestCase {
    func testOneErrorKeepsLocationTextAndCommand() {
        let nft = "/dev/stdin:2:16-19: Error: No such file or directory\nadd chain inet nope c\n               ^^^^\n"
        XCTAssertEqual(RulesetInstaller.compactErrors(nft),
                       "/dev/stdin:2:16-19: Error: No such file or directory [add chain inet nope c] (columns 16-19)")
    }

    func testSeveralErrorsAreAllKept() {
        let nft = """
            /dev/stdin:4:11-11: Error: syntax error, unexpected newline
            bogus here
                      ^
            /dev/stdin:3:31-35: Error: Service out of range
            add rule inet phx c tcp dport 99999 accept
                                          ^^^^^~~~

            """
        let compact = RulesetInstaller.compactErrors(nft)
        XCTAssertFalse(compact.contains("\n"))
        XCTAssertEqual(compact, "/dev/stdin:4:11-11: Error: syntax error, unexpected newline [bogus here] (column 11); "
                           + "/dev/stdin:3:31-35: Error: Service out of range [add rule inet phx c tcp dport 99999 accept] (columns 31-38)")
    }

    func testUnknownShapeIsKeptWhole() {
        XCTAssertEqual(RulesetInstaller.compactErrors("something odd\nand more\n"), "something odd; and more")
        XCTAssertEqual(RulesetInstaller.compactErrors("\n"), "")
    }

    /// Root: a real failing script through libnftables, in a fresh namespace.
    func testRealNftErrorIsOneLine() throws {
        try NamespaceFixture.skipUnlessRoot()
        try NamespaceFixture.run { _ in
            do {
                try RulesetInstaller().run("add table inet phtest\nadd chain inet nope c\n")
                XCTFail("the script should fail")
            } catch {
                let text = "\(error)"
                XCTAssertFalse(text.contains("\n"), text)
                XCTAssertTrue(text.contains("No such file or directory"), text)
                // libnftables 1.0.6 names the script's first line for a
                // netlink error from a buffer (`nft -f` names the right one);
                // the carets' columns are kept.
                XCTAssertTrue(text.contains("] (columns 16-19)"), text)
                XCTAssertFalse(text.contains("^"), text)
            }
        }
    }
}
