/// The version both programs report (`--version`, `status`); the Debian
/// package's comes from packaging/debian/changelog, which build-deb checks
/// against this.
public enum PinholeVersion {
    public static let string = "0.1.0"
}
