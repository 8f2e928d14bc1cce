import ArgumentParser
import Glibc

/// How pinholectl ends after an error was thrown: the exit status and what goes
/// to stdout and stderr. A help or version request is an "error" that succeeds:
/// its text belongs on stdout, so `pinholectl --help | less` shows it.
struct Termination: Equatable {
    var status: Int32
    var stdout = ""
    var stderr = ""

    static func of(_ error: Error) -> Termination {
        if let failure = error as? CtlFailure {
            return Termination(status: failure.status, stderr: failure.message.isEmpty ? "" : "pinholectl: \(failure.message)\n")
        }
        let code = Pinholectl.exitCode(for: error)
        let message = Pinholectl.fullMessage(for: error)
        let text = message.isEmpty ? "" : message + "\n"
        if code == .success { return Termination(status: ExitStatus.ok, stdout: text) }
        // ArgumentParser's own status for usage errors is 64; ours is 2.
        return Termination(status: code == .validationFailure ? ExitStatus.usage : code.rawValue, stderr: text)
    }

    func exit() -> Never {
        Output.out(stdout)
        Output.err(stderr)
        Glibc.exit(status)
    }
}
