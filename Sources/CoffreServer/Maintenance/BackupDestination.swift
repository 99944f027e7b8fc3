import Glibc

/// Where a backup goes: an absolute path on the server's machine, checked before anything is
/// written. The path comes from an administrator, but it is still input from the network, so it
/// must be absolute and plain (no `.`, `..` or empty components, no NUL, at most `PATH_MAX`),
/// outside the data directory (and not holding it), and either missing — its parent must
/// exist — or an empty directory.
struct BackupDestination: Sendable {
    /// The destination, as given.
    let path: String

    /// Checks `text` against the data directory `dataDirectory` and creates the destination
    /// (mode 0700) with `blobs/` and `tmp/` inside. Throws `invalid_field` naming the rule.
    static func prepare(_ text: String, dataDirectory: String) throws(APIError) -> BackupDestination {
        func refuse(_ rule: String) -> APIError { .invalidField("destination", rule) }
        guard text.hasPrefix("/"), text.utf8.count <= Int(PATH_MAX), !text.utf8.contains(0) else {
            throw refuse("must be an absolute path")
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let trimmed = components.last == "" ? components.dropLast() : components[...]
        guard let leaf = trimmed.last, trimmed.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw refuse("must be a plain absolute path, without empty, . or .. components")
        }
        let path = "/" + trimmed.joined(separator: "/")
        let parent = "/" + trimmed.dropLast().joined(separator: "/")
        guard let realParent = canonical(parent), let realData = canonical(dataDirectory) else {
            throw refuse("its parent directory must exist")
        }
        let realTarget = (realParent == "/" ? "/" : realParent + "/") + leaf
        guard !isWithin(realTarget, realData), !isWithin(realData, realTarget) else {
            throw refuse("must be outside the data directory")
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR, isEmptyDirectory(path) else {
                throw refuse("must not exist yet, or be an empty directory")
            }
        } else {
            guard errno == ENOENT else { throw refuse("cannot be examined (\(String(cString: strerror(errno))))") }
            guard mkdir(path, 0o700) == 0 else { throw refuse("cannot be created (\(String(cString: strerror(errno))))") }
        }
        for sub in ["blobs", "tmp"] where mkdir(path + "/" + sub, 0o700) != 0 {
            throw refuse("cannot be written (\(String(cString: strerror(errno))))")
        }
        return BackupDestination(path: path)
    }

    /// realpath(3), or nil when the path does not exist.
    static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when `path` is `ancestor` or below it.
    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        path == ancestor || path.hasPrefix(ancestor == "/" ? "/" : ancestor + "/")
    }

    private static func isEmptyDirectory(_ path: String) -> Bool {
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}
