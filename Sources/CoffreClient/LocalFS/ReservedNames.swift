/// Names the sync itself uses inside a synced folder. They are never synced, whatever
/// `.coffreignore` says, because syncing them would feed the sync its own state.
public enum ReservedNames {
    /// The per-root state folder (index database, logs). Any entry with this exact name is skipped.
    public static let stateFolder = ".coffre"
    /// Prefix of the temporary files that downloads are written to before being renamed into place.
    public static let temporaryPrefix = ".coffre-tmp-"
    /// Per-folder ignore file, gitignore syntax (see `IgnoreFile`).
    public static let ignoreFile = ".coffreignore"

    /// What a reserved name is, if `name` (one component, any normalization) is one.
    static func kind(of name: some Collection<UInt8>) -> SkipReason? {
        if name.elementsEqual(stateFolder.utf8) { return .syncStateFolder }
        if name.starts(with: temporaryPrefix.utf8) { return .syncTemporaryFile }
        return nil
    }
}
