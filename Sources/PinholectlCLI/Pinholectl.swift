import ArgumentParser
import Glibc
import PinholeConfig
import PinholeCore

/// pinholectl: the command-line client of pinholed, and a policy checker.
public struct Pinholectl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pinholectl",
        abstract: "Show and close the FTP pinholes of pinholed; check policy files.",
        discussion: """
            Exit status: 0 success; 1 a bad policy, or pinholed answered with an error;
            2 bad usage; 3 pinholed cannot be reached.
            """,
        version: PinholeVersion.string,
        subcommands: [ListCommand.self, StatusCommand.self, FlushCommand.self, CheckCommand.self]
    )

    @OptionGroup var connection: ConnectionOptions

    public init() {}

    /// No subcommand is bad usage: the help goes to stderr, status 2.
    public func run() throws {
        Output.err(Pinholectl.helpMessage() + "\n")
        throw CtlFailure(status: ExitStatus.usage, message: "a subcommand is required: list, status, flush or check")
    }

    /// Runs the command and maps every outcome to the documented exit codes.
    /// Help and errors both arrive as thrown errors, before or after parsing
    /// (`help list` parses fine and throws from run()); Termination sorts them.
    public static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
            Glibc.exit(ExitStatus.ok)
        } catch {
            Termination.of(error).exit()
        }
    }
}

/// `--socket`, shared by the commands that talk to pinholed; accepted before
/// or after the subcommand name.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("pinholed's control socket.", valueName: "PATH"))
    var socket: String = ControlClient.defaultSocket

    /// A path too long for a unix socket address, or none, is bad usage (2),
    /// not a daemon that cannot be reached (3).
    func validate() throws {
        guard !socket.isEmpty, socket.utf8.count <= PolicyDefaults.maxSocketPathBytes else {
            throw ValidationError("--socket: a socket path must be 1-\(PolicyDefaults.maxSocketPathBytes) bytes")
        }
    }
}

/// The documented exit statuses.
enum ExitStatus {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}

/// An outcome other than success: a message for stderr and an exit status.
struct CtlFailure: Error, Equatable {
    var status: Int32
    var message: String
}
