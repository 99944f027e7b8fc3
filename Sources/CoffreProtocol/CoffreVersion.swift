/// The version of this build of Coffre, shown by `--version` and in `/metrics`.
public enum CoffreVersion {
    public static let current = "0.1.0"
}
