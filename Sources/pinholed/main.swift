import PinholectlCLI
import PinholedCLI

// One binary, two commands, chosen by the name it was run as (as udevadm and
// systemd-udevd are one): each links the Swift runtime and Foundation
// statically, about 60 MB, so the Debian package installs pinholed only and
// /usr/bin/pinholectl as a symlink to it.
if CommandName.invoked(CommandLine.arguments.first ?? "") == "pinholectl" {
    Pinholectl.main()
} else {
    PinholedCommand.main()
}
