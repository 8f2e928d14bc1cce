#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path is, for messages that refuse it: a policy file must be a
/// regular file, a control socket a socket.
public enum FileKind {
    /// "a regular file", "a directory", "a FIFO"... from `st_mode`.
    public static func name(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "a special file"
        }
    }

    /// The kind of what `path` names itself (lstat: a link is a link); nil if it does not exist.
    public static func of(path: String) -> (mode: mode_t, name: String)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & S_IFMT, name(of: info.st_mode))
    }
}
