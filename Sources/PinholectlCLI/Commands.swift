import ArgumentParser
import PinholeConfig
import PinholeCore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the open pinholes.",
        discussion: """
            Example:
              pinholectl list
              pinholectl --socket /run/nft-pinhole/control.sock list --json | jq '.[].port'
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(name: .long, help: "Print one JSON array of pinhole objects.") var json = false

    func run() throws {
        let response = try ControlClient(path: connection.socket).send(ControlRequest(command: .list))
        let pinholes = response.pinholes ?? []
        Output.out(json ? Formatting.jsonList(pinholes) : Formatting.table(pinholes))
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show pinholed's version, uptime and counters.",
        discussion: """
            Example:
              pinholectl status
              pinholectl status --json | jq .refused
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(name: .long, help: "Print the status as one JSON object.") var json = false

    func run() throws {
        let response = try ControlClient(path: connection.socket).send(ControlRequest(command: .status))
        guard let status = response.status else {
            throw CtlFailure(status: ExitStatus.unreachable, message: "pinholed answered without a status")
        }
        Output.out(json ? Formatting.json(status) : Formatting.status(status))
    }
}

struct FlushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush",
        abstract: "Close open pinholes now (root only).",
        discussion: """
            Example:
              pinholectl flush                      # every pinhole
              pinholectl flush --service public-ftp # only this service's
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: ArgumentHelp("Close only this service's pinholes.", valueName: "NAME"))
    var service: String?

    func run() throws {
        let response = try ControlClient(path: connection.socket).send(ControlRequest(command: .flush, service: service))
        Output.out(Formatting.flushed(response.closed ?? 0, service: service))
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a policy file without loading it.",
        discussion: """
            Prints every problem as FILE:LINE:COLUMN: error: MESSAGE and exits 1,
            or prints "FILE: ok (N services)" and exits 0.

            Example:
              pinholectl check /etc/nft-pinhole/policy.yaml
            """
    )

    @Argument(help: ArgumentHelp("The policy file.", valueName: "FILE")) var file: String

    func run() throws {
        let report = PolicyCheck.run(path: file)
        Output.out(report.stdout)
        Output.err(report.stderr)
        if report.status != ExitStatus.ok { throw CtlFailure(status: report.status, message: "") }
    }
}

/// `pinholectl check`, as data so tests can check it without a process.
struct PolicyCheck: Equatable {
    var status: Int32
    var stdout: String
    var stderr: String

    static func run(path: String) -> PolicyCheck {
        switch PolicyLoader.load(path: path) {
        case .success(let loaded):
            return PolicyCheck(status: ExitStatus.ok, stdout: "\(path): ok (\(loaded.policy.services.count) services)\n", stderr: "")
        case .failure(let errors):
            return PolicyCheck(status: ExitStatus.failure, stdout: "", stderr: errors.description + "\n")
        }
    }
}
