/// The name a program was run as: the last component of argv[0], which is
/// what a symlink (`/usr/bin/pinholectl -> ../sbin/pinholed`) changes.
public enum CommandName {
    public static func invoked(_ argv0: String) -> String {
        argv0.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
    }
}
