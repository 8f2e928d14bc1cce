import ArgumentParser
import Glibc

/// pinholectl: the command-line client of pinholed, and a policy checker.
@main
struct Pinholectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinholectl",
        abstract: "Show and close the FTP pinholes of pinholed; check policy files.",
        discussion: """
            Exit status: 0 success; 1 a bad policy, or pinholed answered with an error;
            2 bad usage; 3 pinholed cannot be reached.
            """,
        subcommands: [ListCommand.self, StatusCommand.self, FlushCommand.self, CheckCommand.self]
    )

    @OptionGroup var connection: ConnectionOptions

    /// No subcommand is bad usage: the help goes to stderr, status 2.
    func run() throws {
        Output.err(Pinholectl.helpMessage() + "\n")
        throw CtlFailure(status: ExitStatus.usage, message: "a subcommand is required: list, status, flush or check")
    }

    /// Runs the command and maps every outcome to the documented exit codes
    /// (ArgumentParser's own default for usage errors is 64; ours is 2).
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Output.out(fullMessage(for: error) + "\n")
                Glibc.exit(0)
            }
            Output.err(fullMessage(for: error) + "\n")
            Glibc.exit(code == .validationFailure ? ExitStatus.usage : code.rawValue)
        }
        do {
            var command = command
            try command.run()
            Glibc.exit(0)
        } catch let failure as CtlFailure {
            if !failure.message.isEmpty { Output.err("pinholectl: \(failure.message)\n") }
            Glibc.exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty { Output.err(message + "\n") }
            Glibc.exit(code == .validationFailure ? ExitStatus.usage : code.rawValue)
        }
    }
}

/// `--socket`, shared by the commands that talk to pinholed; accepted before
/// or after the subcommand name.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("pinholed's control socket.", valueName: "PATH"))
    var socket: String = ControlClient.defaultSocket
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
