/// Which folder each inotify watch descriptor stands for, by on-disk relative path ("" is
/// the root), both ways. Paths are compared by their bytes (String equality would merge an NFC
/// and an NFD spelling, which are two folders on Linux).
struct WatchTable {
    private var pathByWatch: [Int32: String] = [:]
    private var watchByPath: [[UInt8]: Int32] = [:]

    /// Number of folders watched.
    var count: Int { pathByWatch.count }

    /// The folder of a watch, nil for a watch not (or no longer) known.
    func path(for watch: Int32) -> String? { pathByWatch[watch] }

    /// Records a watch. Adding a watch on an inode already watched returns the same
    /// descriptor (inotify_add_watch(2)), so an old mapping of either side is replaced.
    mutating func insert(_ watch: Int32, path: String) {
        let key = Array(path.utf8)
        if let old = pathByWatch[watch] { watchByPath[Array(old.utf8)] = nil }
        if let old = watchByPath[key] { pathByWatch[old] = nil }
        pathByWatch[watch] = path
        watchByPath[key] = watch
    }

    /// Forgets one watch (IN_IGNORED: the kernel removed it).
    mutating func remove(_ watch: Int32) {
        guard let path = pathByWatch.removeValue(forKey: watch) else { return }
        let key = Array(path.utf8)
        if watchByPath[key] == watch { watchByPath[key] = nil }
    }

    /// Forgets the watches of `path` and every folder below it; returns their descriptors.
    mutating func removeSubtree(_ path: String) -> [Int32] {
        let key = Array(path.utf8)
        let prefix = key + [UInt8(ascii: "/")]
        let doomed = watchByPath.filter { $0.key == key || $0.key.starts(with: prefix) }
        for (folder, watch) in doomed {
            watchByPath[folder] = nil
            pathByWatch[watch] = nil
        }
        return Array(doomed.values)
    }
}
