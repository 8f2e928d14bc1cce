import PinholectlCLI

// The development build's pinholectl. The Debian package ships none: its
// /usr/bin/pinholectl is a symlink to pinholed, which runs this command when
// called by that name (see Sources/pinholed/main.swift).
Pinholectl.main()
