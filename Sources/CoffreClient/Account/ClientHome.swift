import CoffreCrypto
import Foundation
import Glibc

/// The folder that holds one device's account state: `$COFFRE_HOME`, else
/// `$XDG_CONFIG_HOME/coffre`, else `~/.config/coffre`. A second folder is a second device.
///
/// The folder is kept at mode 0700 and `account.json` at 0600. The file is replaced
/// atomically: written to a temporary file created 0600 in the same folder, synced, renamed
/// over the old one, and the folder synced (rename(2), fsync(2)), so a crash leaves the old or
/// the new state, never a mix. A state file that is not a regular file owned by this user,
/// is readable by others, is too large or does not decode is refused with a clear error.
public struct ClientHome: Sendable {
    /// Name of the state file.
    public static let stateFileName = "account.json"
    /// Largest state file read (a real one is about 1 KiB).
    public static let maximumStateBytes = 64 * 1024

    /// Absolute path of the folder.
    public let path: String

    /// The folder at `path` (made absolute against the current directory).
    public init(path: String) {
        self.path = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The folder named by the environment (`COFFRE_HOME`, `XDG_CONFIG_HOME`, `HOME`).
    public static func resolve(environment: [String: String]) throws(AccountError) -> ClientHome {
        if let home = environment["COFFRE_HOME"], !home.isEmpty { return ClientHome(path: home) }
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return ClientHome(path: config + "/coffre") }
        guard let home = environment["HOME"], home.hasPrefix("/") else {
            throw .invalidArgument("cannot find the state folder: set COFFRE_HOME (or HOME)")
        }
        return ClientHome(path: home + "/.config/coffre")
    }

    /// Path of `account.json`.
    public var stateFile: String { path + "/" + Self.stateFileName }

    /// The stored state; nil when there is none.
    public func loadState() throws(AccountError) -> AccountState? {
        guard let bytes = try readDocument(Self.stateFileName) else { return nil }
        let state: AccountState
        do {
            state = try JSONDecoder().decode(AccountState.self, from: Data(bytes))
        } catch {
            throw .stateUnusable(path: stateFile, reason: "is corrupted (\(CoffreAPI.decodingProblem(error))); remove it and run coffre login")
        }
        if let problem = state.problem() {
            throw .stateUnusable(path: stateFile, reason: "is corrupted (\(problem)); remove it and run coffre login")
        }
        return state
    }

    /// The bytes of the document `name` in this folder, after the checks of the state file
    /// (regular file, this user's, mode 0600 or narrower, at most `maximumStateBytes`); nil
    /// when there is none.
    public func readDocument(_ name: String) throws(AccountError) -> [UInt8]? {
        let file: LocalFileDescriptor
        let documentPath = path + "/" + name
        switch LocalFileDescriptor.open(documentPath, in: AT_FDCWD, flags: O_RDONLY | O_NOFOLLOW) {
        case .success(let opened): file = opened
        case .failure(let error) where error.code == ENOENT: return nil
        case .failure(let error) where error.code == ELOOP: throw .stateUnusable(path: documentPath, reason: "is a symbolic link; refusing to follow it")
        case .failure(let error): throw .system(operation: "open", path: documentPath, code: error.code)
        }
        return try readChecked(file, path: documentPath)
    }

    /// The stored state, or `.notSignedIn`.
    public func requireState() throws(AccountError) -> AccountState {
        guard let state = try loadState() else { throw .notSignedIn(home: path) }
        return state
    }

    /// Replaces the state atomically (see the type's comment).
    public func save(_ state: AccountState) throws(AccountError) {
        try saveDocument(state, as: Self.stateFileName)
    }

    /// Replaces the JSON document `name` in this folder atomically, mode 0600, as the state
    /// file is (see the type's comment).
    public func saveDocument(_ value: some Encodable, as name: String) throws(AccountError) {
        let documentPath = path + "/" + name
        try prepareFolder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
        } catch {
            throw .stateUnusable(path: documentPath, reason: "cannot be encoded")
        }
        guard bytes.count <= Self.maximumStateBytes else {
            throw .stateUnusable(path: documentPath, reason: "would be larger than \(Self.maximumStateBytes) bytes")
        }
        let folder = try openFolder()
        let temporary = try temporaryName(for: name)
        let file: LocalFileDescriptor
        switch LocalFileDescriptor.open(temporary, in: folder.raw, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) {
        case .success(let opened): file = opened
        case .failure(let error): throw .system(operation: "create", path: path + "/" + temporary, code: error.code)
        }
        do throws(AccountError) {
            try mapped("write", documentPath) { () throws(LocalFSError) in
                try file.writeAll(bytes, operation: "write")
                try file.sync(operation: "fsync")
            }
            let (renamed, code) = retryingOnInterrupt { renameat(folder.raw, temporary, folder.raw, name) }
            guard renamed == 0 else { throw AccountError.system(operation: "rename into", path: documentPath, code: code) }
        } catch {
            _ = unlinkat(folder.raw, temporary, 0)
            throw error
        }
        try mapped("fsync", path) { () throws(LocalFSError) in try folder.sync(operation: "fsync") }
    }

    /// Removes the state file; nothing to do when there is none.
    public func removeState() throws(AccountError) {
        let (result, code) = retryingOnInterrupt { unlink(stateFile) }
        guard result == 0 || code == ENOENT else { throw .system(operation: "remove", path: stateFile, code: code) }
    }

    // MARK: Files

    /// Reads a whole state document after checking its type, owner, mode and size (fstat(2)).
    private func readChecked(_ file: LocalFileDescriptor, path stateFile: String) throws(AccountError) -> [UInt8] {
        let info = try mapped("stat", stateFile) { () throws(LocalFSError) in try file.status(operation: "fstat") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .stateUnusable(path: stateFile, reason: "is not a regular file") }
        guard info.st_uid == geteuid() else { throw .stateUnusable(path: stateFile, reason: "belongs to another user") }
        guard info.st_mode & 0o077 == 0 else {
            throw .stateUnusable(
                path: stateFile,
                reason: "can be read or written by other users (mode \(String(info.st_mode & 0o777, radix: 8))); it holds this device's token: run chmod 600 on it")
        }
        guard info.st_size <= Self.maximumStateBytes else {
            throw .stateUnusable(path: stateFile, reason: "is larger than \(Self.maximumStateBytes) bytes; it is not a state file")
        }
        var bytes = [UInt8](repeating: 0, count: Self.maximumStateBytes + 1)
        var count = 0
        while count < bytes.count {
            let read = try mapped("read", stateFile) { () throws(LocalFSError) in try file.read(into: &bytes, from: count, operation: "read") }
            if read == 0 { break }
            count += read
        }
        // The file grew between fstat and read: refuse rather than decode a partial document.
        guard count <= Self.maximumStateBytes else {
            throw .stateUnusable(path: stateFile, reason: "is larger than \(Self.maximumStateBytes) bytes; it is not a state file")
        }
        return Array(bytes[0..<count])
    }

    /// Creates the folder (and missing parents) with mode 0700, or checks an existing one: a
    /// folder owned by this user, narrowed to 0700 when it was wider.
    private func prepareFolder() throws(AccountError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            let (made, code) = retryingOnInterrupt { mkdir(prefix, 0o700) }
            guard made == 0 || code == EEXIST else { throw .system(operation: "create the folder", path: prefix, code: code) }
        }
        var info = stat()
        let (result, code) = retryingOnInterrupt { stat(path, &info) }
        guard result == 0 else { throw .system(operation: "stat", path: path, code: code) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .stateUnusable(path: path, reason: "is not a folder") }
        guard info.st_uid == geteuid() else { throw .stateUnusable(path: path, reason: "belongs to another user") }
        if info.st_mode & 0o077 != 0 {
            let (changed, code) = retryingOnInterrupt { chmod(path, 0o700) }
            guard changed == 0 else { throw .system(operation: "chmod 700", path: path, code: code) }
        }
    }

    private func openFolder() throws(AccountError) -> LocalFileDescriptor {
        switch LocalFileDescriptor.open(path, in: AT_FDCWD, flags: O_RDONLY | O_DIRECTORY) {
        case .success(let folder): return folder
        case .failure(let error): throw .system(operation: "open the folder", path: path, code: error.code)
        }
    }

    /// `.NAME.<random>.tmp`: unpredictable, so no one can plant a file or link there.
    private func temporaryName(for name: String) throws(AccountError) -> String {
        do {
            return "." + name + "." + Hex.encode(try SecureRandom.bytes(count: 8)) + ".tmp"
        } catch {
            throw .crypto(error.description)
        }
    }

    private func mapped<T>(_ operation: String, _ path: String, _ body: () throws(LocalFSError) -> T) throws(AccountError) -> T {
        do {
            return try body()
        } catch {
            if case .system(_, let code) = error { throw .system(operation: operation, path: path, code: code) }
            throw .stateUnusable(path: path, reason: error.description)
        }
    }
}
