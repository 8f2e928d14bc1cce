import Glibc
import Logging
import PinholeCore
@testable import PinholeDaemon
import XCTest

/// Every event is exactly one line, whatever its message or metadata hold.
final class LineLogHandlerTests: XCTestCase {
    func testPlainEventIsUnchanged() {
        let line = LineLogHandler.line(time: "T", level: .info, message: "pinhole opened",
                                       metadata: ["service": "lab", "port": "50010"])
        XCTAssertEqual(line, "T info pinhole opened port=50010 service=lab\n")
    }

    func testNewlinesInMessageAndMetadataYieldOneLine() {
        // nft's error buffer: the error, then the script line, then carets.
        let nft = "Error: No such file or directory\nadd element inet pinhole pinholes4 { 1.2.3.4 }\n                          ^^^^^^^^^\n"
        let line = LineLogHandler.line(time: "T", level: .error, message: "could not install ruleset: \(nft)",
                                       metadata: ["policy": "name: \"a\nb\"", "detail": "x\r\ny\tz"])
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, line)
        XCTAssertTrue(line.hasSuffix("\n"))
        XCTAssertEqual(line,
                       "T error could not install ruleset: Error: No such file or directory\\nadd element inet pinhole pinholes4 { 1.2.3.4 }\\n"
                           + "                          ^^^^^^^^^\\n detail=x\\r\\ny\\tz policy=name: \"a\\nb\"\n")
    }

    /// Under systemd, journald reads the priority off `<N>` (sd-daemon(3)).
    func testJournalLinesStartWithTheirSyslogPriority() {
        let fields: Logger.Metadata = ["port": "50010"]
        XCTAssertEqual(LineLogHandler.line(time: "T", level: .notice, message: "ready", metadata: [:], journal: true),
                       "<5>T notice ready\n")
        XCTAssertEqual(LineLogHandler.line(time: "T", level: .info, message: "pinhole opened", metadata: fields, journal: true),
                       "<6>T info pinhole opened port=50010\n")
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
        XCTAssertEqual(levels.map(JournalStream.prefix), ["<7>", "<7>", "<6>", "<5>", "<4>", "<3>", "<2>"])
        XCTAssertEqual(LineLogHandler.line(time: "T", level: .error, message: "m", metadata: [:]), "T error m\n")
    }

    /// JOURNAL_STREAM names stderr's device and inode; a redirect keeps the
    /// variable but changes the descriptor, so only an exact match counts.
    func testJournalStreamMustNameTheDescriptor() throws {
        let dir = TempDirectory()
        let fd = open(dir.path + "/stream", O_CREAT | O_WRONLY, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var info = stat()
        XCTAssertEqual(fstat(fd, &info), 0)
        XCTAssertTrue(JournalStream.names(descriptor: fd, "\(info.st_dev):\(info.st_ino)"))
        XCTAssertFalse(JournalStream.names(descriptor: fd, "\(info.st_dev):\(info.st_ino + 1)"))
        XCTAssertFalse(JournalStream.names(descriptor: fd, "\(info.st_dev)"))
        XCTAssertFalse(JournalStream.names(descriptor: fd, "\(info.st_dev):\(info.st_ino):1"))
        XCTAssertFalse(JournalStream.names(descriptor: fd, "x:y"))
        XCTAssertFalse(JournalStream.names(descriptor: -1, "\(info.st_dev):\(info.st_ino)"))
    }

    func testOtherControlBytesAreHexEscaped() {
        XCTAssertEqual(("a\u{0}b\u{1B}[31mc\u{7F}d\u{0B}".escapingControlCharacters()), "a\\x00b\\x1b[31mc\\x7fd\\x0b")
        XCTAssertEqual(("héllo → ok".escapingControlCharacters()), "héllo → ok")
        XCTAssertEqual(("k\ney".escapingControlCharacters()), "k\\ney")
    }

    func testNestedMetadataValuesAreEscaped() {
        let line = LineLogHandler.line(time: "T", level: .warning, message: "m",
                                       metadata: ["list": .array(["a\nb", "c"]), "k\n": .dictionary(["x": "1\n2"])])
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, line)
        XCTAssertFalse(line.dropLast().contains("\n"))
    }
}
