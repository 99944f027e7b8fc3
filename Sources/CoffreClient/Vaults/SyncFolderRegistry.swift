import CoffreProtocol
import Foundation
import Glibc

/// The folders this `COFFRE_HOME` syncs, in `$COFFRE_HOME/folders.json`: for each, the vault
/// it syncs and what the last pass of `coffre sync` found, for `coffre status` and for finding
/// the folder of a path (`history`, `restore`, `trash`). Updates are read-modify-write under
/// an exclusive `flock(2)` on `folders.lock`, so two `coffre sync` processes of one home do not
/// lose each other's entries.
public struct SyncFolderRegistry: Sendable {
    /// The registry file, in `$COFFRE_HOME`.
    public static let fileName = "folders.json"

    /// One synced folder.
    public struct Folder: Codable, Sendable, Equatable {
        /// Absolute path of the folder.
        public var path: String
        /// The vault it syncs.
        public var vaultId: VaultID
        /// The last pass `coffre sync` ran here, if any.
        public var lastPass: Pass?
    }

    /// The outcome of a pass, as `coffre status` shows it.
    public struct Pass: Codable, Sendable, Equatable {
        /// When it ended (Unix seconds).
        public var endedAt: Int64
        /// True when the folder and the vault were identical at the end.
        public var identical: Bool
        /// Conflict copies it made.
        public var conflicts: Int
        /// Items it left out.
        public var skipped: Int
        /// Why it failed, when it did (no file names: `VaultError` text).
        public var failure: String?

        /// A pass record.
        public init(endedAt: Int64, identical: Bool, conflicts: Int, skipped: Int, failure: String?) {
            self.endedAt = endedAt
            self.identical = identical
            self.conflicts = conflicts
            self.skipped = skipped
            self.failure = failure
        }
    }

    private struct Document: Codable {
        var version = 1
        var folders: [Folder]
    }

    private let home: ClientHome

    /// The registry of `home`.
    public init(home: ClientHome) {
        self.home = home
    }

    /// Every registered folder.
    public func folders() throws(VaultError) -> [Folder] {
        guard let bytes = try wrapped({ () throws(AccountError) in try home.readDocument(Self.fileName) }) else { return [] }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(bytes)), document.version == 1 else {
            throw .account(.stateUnusable(path: home.path + "/" + Self.fileName, reason: "is corrupted; remove it and run coffre sync again"))
        }
        return document.folders
    }

    /// Checks that `path` may sync `vault` (`register` would accept it), without recording it.
    public func check(_ path: String, vault: VaultID) throws(VaultError) {
        _ = try Self.isRegistered(path, vault: vault, in: folders())
    }

    /// Records that `path` syncs `vault`; refused when it is registered with another vault, or
    /// is inside a registered folder or holds one.
    public func register(_ path: String, vault: VaultID) throws(VaultError) {
        try update { folders throws(VaultError) in
            if try !Self.isRegistered(path, vault: vault, in: folders) {
                folders.append(Folder(path: path, vaultId: vault, lastPass: nil))
            }
        }
    }

    /// True when `path` is registered with `vault`; false when it may be; throws otherwise.
    private static func isRegistered(_ path: String, vault: VaultID, in folders: [Folder]) throws(VaultError) -> Bool {
        if let existing = folders.first(where: { $0.path == path }) {
            guard existing.vaultId == vault else { throw .folderSyncsAnotherVault }
            return true
        }
        guard !folders.contains(where: { isInside(path, $0.path) || isInside($0.path, path) }) else { throw .nestedSyncFolder }
        return false
    }

    /// Records the outcome of a pass on `path`.
    public func record(_ pass: Pass, for path: String) throws(VaultError) {
        try update { folders throws(VaultError) in
            guard let index = folders.firstIndex(where: { $0.path == path }) else { return }
            folders[index].lastPass = pass
        }
    }

    /// The registered folder holding `path` (absolute) and the path relative to it: the
    /// deepest registered folder that is `path` or one of its ancestors.
    public func folder(containing path: String) throws(VaultError) -> (folder: Folder, relative: String) {
        let candidates = try folders().filter { path == $0.path || Self.isInside(path, $0.path) }
        guard let folder = candidates.max(by: { $0.path.utf8.count < $1.path.utf8.count }) else { throw .notInSyncedFolder }
        let relative = String(path.dropFirst(folder.path.count)).drop { $0 == "/" }
        return (folder, String(relative))
    }

    /// `path` made absolute against the working directory, with `.` and `..` components and
    /// repeated slashes resolved lexically (the path may name something that no longer exists:
    /// a file in the trash). Symbolic links in the folder part are resolved when it exists.
    public static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        let lexical = "/" + parts.joined(separator: "/")
        guard parts.count > 1 else { return lexical }
        // realpath(3) of the parent, so a folder reached through a link matches its registration.
        let parent = "/" + parts.dropLast().joined(separator: "/")
        guard let resolved = realpath(parent, nil) else { return lexical }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + parts[parts.count - 1]
    }

    /// True when `path` is strictly below `folder`.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    private func update(_ change: (inout [Folder]) throws(VaultError) -> Void) throws(VaultError) {
        let lock = try lockRegistry()
        defer { close(lock) }
        var current = try folders()
        try change(&current)
        try wrapped { () throws(AccountError) in try home.saveDocument(Document(folders: current), as: Self.fileName) }
    }

    /// An exclusive lock on `folders.lock` (flock(2), released when the descriptor closes).
    private func lockRegistry() throws(VaultError) -> Int32 {
        // Saving an empty document would create the folder; do it the same way for the lock.
        let lockPath = home.path + "/folders.lock"
        if access(home.path, F_OK) != 0 { try wrapped { () throws(AccountError) in _ = try home.requireState() } }
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .account(.system(operation: "open", path: lockPath, code: errno)) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(descriptor)
                throw .account(.system(operation: "lock", path: lockPath, code: code))
            }
        }
        return descriptor
    }

    private func wrapped<T>(_ body: () throws(AccountError) -> T) throws(VaultError) -> T {
        do { return try body() } catch { throw .account(error) }
    }
}
