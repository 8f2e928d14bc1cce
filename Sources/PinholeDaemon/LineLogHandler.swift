import Glibc
import Logging

/// One line per event on stderr (journald adds its own timestamp, but a
/// foreground run and the tests want one too):
/// `2026-11-25T10:07:54.123Z info pinhole opened service=lab ...`
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "\(SystemClock.rfc3339(SystemClock.wallSeconds())) \(event.level) \(event.message)"
        let merged = metadata.isEmpty ? event.metadata ?? [:] : metadata.merging(event.metadata ?? [:]) { $1 }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) { line += " \(k)=\(v)" }
        line += "\n"
        // fd 2 directly: Swift 6 rejects the `stderr` global.
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
