import ArgumentParser
import Glibc
import Logging
import PinholeConfig
import PinholeCore
import PinholeDaemon

/// The pinholed command line: parse, load the policy, hand over to Daemon.
public struct PinholedCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pinholed",
        abstract: "Open nftables pinholes for FTP data connections, read from the control channel.",
        discussion: """
            Runs in the foreground and logs one line per event to stderr.
            SIGHUP reloads the policy; SIGTERM closes every pinhole, removes the table and exits.

            Example:
              pinholed --policy /etc/nft-pinhole/policy.yaml --log-level info
            """,
        version: PinholeVersion.string)

    @Option(name: .long, help: ArgumentHelp("Policy file.", valueName: "FILE"))
    var policy: String = Policy.defaultPolicyFile

    @Option(name: .long, help: ArgumentHelp("Control socket (overrides the policy's `socket`).", valueName: "PATH"))
    var socket: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning or error.")
    var logLevel: String = "info"

    @Flag(name: .long, help: "Print the nft script for the policy's table and exit.")
    var printRuleset = false

    @Option(name: .long, help: ArgumentHelp(
        "Longest busy-poll after an event before sleeping, in microseconds: the whole of it while a data"
            + " connection is set up, otherwise learned per kind of wait, up to it (0: never spin).",
        valueName: "US"))
    var busyPollUs: UInt32 = DaemonOptions.defaultBusyPollMicroseconds

    @Option(name: .long, help: ArgumentHelp(
        "While a control session is active, look at the copied control packets this often instead of being"
            + " woken by each, backing off in quiet gaps (0, the default: woken by each). Only with the race guard"
            + " (enforce: true). Less CPU, more data SYNs held; 100 is the measured setting.",
        valueName: "US"))
    var copyIntervalUs: UInt32 = DaemonOptions.defaultCopyIntervalMicroseconds

    @Option(name: .long, help: ArgumentHelp("Debug only: delay every pinhole commit (tests the race guard).",
                                            visibility: .hidden))
    var debugCommitDelayMs: UInt32 = 0

    /// INTERFACE's levels: swift-log's `critical` is not one (pinholed logs nothing at it).
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error"]

    public init() {}

    public func validate() throws {
        if let socket, let problem = SocketPathRule.problem(socket) {
            throw ValidationError("--socket: \(problem)")
        }
        guard busyPollUs <= 10_000 else { throw ValidationError("--busy-poll-us must be at most 10000") }
        guard copyIntervalUs <= 10_000 else { throw ValidationError("--copy-interval-us must be at most 10000") }
        guard Self.logLevels.contains(logLevel) else {
            throw ValidationError("--log-level must be one of \(Self.logLevels.joined(separator: ", "))")
        }
    }

    public func run() throws {
        let loaded: LoadedPolicy
        switch PolicyLoader.load(path: policy) {
        case .failure(let errors):
            errorLine(errors.description)
            throw ExitCode(2)
        case .success(let p):
            loaded = p
        }
        if printRuleset {
            let text = RulesetBuilder.script(for: loaded.policy)
            _ = text.withCString { write(1, $0, strlen($0)) }
            return
        }
        let options = DaemonOptions(policyPath: policy, socketPath: socket, logLevel: Logger.Level(rawValue: logLevel)!,
                                    busyPollMicroseconds: busyPollUs, copyIntervalMicroseconds: copyIntervalUs,
                                    debugCommitDelayMs: debugCommitDelayMs)
        let daemon: Daemon
        do {
            daemon = try Daemon(options: options, policy: loaded)
        } catch {
            errorLine("pinholed: error: \(error)")
            throw ExitCode(error.restartCannotFix ? 2 : 1)
        }
        let code = daemon.run()
        if code != 0 { throw ExitCode(code) }
    }

    /// Each line at error priority in the journal (see JournalStream).
    private func errorLine(_ text: String) {
        let prefix = JournalStream.isStderr() ? JournalStream.prefix(.error) : ""
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let line = body.split(separator: "\n", omittingEmptySubsequences: false)
            .map { prefix + $0 + "\n" }.joined()
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
