import Foundation
import Glibc
import Testing
@testable import CoffreClient

/// Watcher tests wait for events with a generous timeout (then the watcher is stopped and the
/// test fails); they never assert how long anything took.
@Suite struct DirectoryWatcherTests {
    static let timeout: Duration = .seconds(30)

    static func fastOptions() -> WatcherOptions {
        var options = WatcherOptions()
        options.quietPeriod = .milliseconds(20)
        options.maximumDelay = .milliseconds(200)
        return options
    }

    /// Reads events until the changed paths seen include every one of `expected` (or the
    /// stream ends); returns all paths seen and the other events.
    static func waitFor(
        _ expected: Set<String>, from iterator: inout AsyncStream<WatchEvent>.Iterator, watcher: DirectoryWatcher
    ) async -> (paths: Set<String>, others: [WatchEvent]) {
        await waitUntil(from: &iterator, watcher: watcher) { paths, _ in expected.isSubset(of: paths) }
    }

    /// Reads events until `done` holds for what was seen, or the stream ends (timeout).
    static func waitUntil(
        from iterator: inout AsyncStream<WatchEvent>.Iterator, watcher: DirectoryWatcher,
        _ done: (Set<String>, [WatchEvent]) -> Bool
    ) async -> (paths: Set<String>, others: [WatchEvent]) {
        let timer = Task {
            // Cancelled (the wait ended in time): leave the watcher running.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            watcher.stop()
        }
        defer { timer.cancel() }
        var seen: Set<String> = []
        var others: [WatchEvent] = []
        while !done(seen, others), let event = await iterator.next() {
            if case .changed(let paths) = event {
                seen.formUnion(paths.map(\.onDisk))
            } else {
                others.append(event)
            }
        }
        return (seen, others)
    }

    @Test func seesCreateModifyRenameAndDeleteInNestedNewFolders() async throws {
        let tree = try TemporaryTree()
        try tree.folder("existing")
        let watcher = try DirectoryWatcher(root: try tree.root(), options: Self.fastOptions())
        #expect(!watcher.isDegraded)
        var events = try watcher.events().makeAsyncIterator()

        try tree.folder("new")
        try tree.folder("new/inner")
        try tree.write("new/inner/file.txt", "1")
        var result = await Self.waitFor(["new", "new/inner", "new/inner/file.txt"], from: &events, watcher: watcher)
        #expect(result.paths.isSuperset(of: ["new", "new/inner/file.txt"]))

        // The nested folder made after the watcher started is watched itself now.
        try tree.append("new/inner/file.txt", "2")
        try tree.write("new/inner/later.txt", "3")
        result = await Self.waitFor(["new/inner/file.txt", "new/inner/later.txt"], from: &events, watcher: watcher)
        #expect(result.paths.isSuperset(of: ["new/inner/file.txt", "new/inner/later.txt"]))

        try tree.rename("new/inner/later.txt", "new/inner/renamed.txt")
        result = await Self.waitFor(["new/inner/later.txt", "new/inner/renamed.txt"], from: &events, watcher: watcher)
        #expect(result.paths.isSuperset(of: ["new/inner/later.txt", "new/inner/renamed.txt"]))

        try tree.remove("new/inner/renamed.txt")
        result = await Self.waitFor(["new/inner/renamed.txt"], from: &events, watcher: watcher)
        #expect(result.paths.contains("new/inner/renamed.txt"))

        // A renamed folder is followed under its new name, and the old one is forgotten.
        try tree.rename("new", "existing/moved")
        result = await Self.waitFor(["new", "existing/moved"], from: &events, watcher: watcher)
        #expect(result.paths.isSuperset(of: ["new", "existing/moved"]))
        try tree.write("existing/moved/inner/after-move.txt", "4")
        result = await Self.waitFor(["existing/moved/inner/after-move.txt"], from: &events, watcher: watcher)
        #expect(result.paths.contains("existing/moved/inner/after-move.txt"))
        #expect(!result.paths.contains { $0.hasPrefix("new/") })

        try tree.remove("existing/moved")
        result = await Self.waitFor(["existing/moved"], from: &events, watcher: watcher)
        #expect(result.paths.contains("existing/moved"))
        #expect(result.others.isEmpty)
        watcher.stop()
    }

    @Test func reportsWhatAFolderMovedInAlreadyHolds() async throws {
        let tree = try TemporaryTree()
        try tree.folder("root")
        try tree.folder("outside")
        try tree.folder("outside/sub")
        try tree.write("outside/sub/made-before.txt", "x")
        let watcher = try DirectoryWatcher(root: try SyncRoot(path: tree.absolute("root")), options: Self.fastOptions())
        var events = try watcher.events().makeAsyncIterator()
        try tree.rename("outside", "root/arrived")
        let expected: Set<String> = ["arrived", "arrived/sub", "arrived/sub/made-before.txt"]
        let result = await Self.waitFor(expected, from: &events, watcher: watcher)
        #expect(result.paths.isSuperset(of: expected))
        watcher.stop()
    }

    @Test func neverReportsTheSyncsOwnFiles() async throws {
        let tree = try TemporaryTree()
        try tree.folder(".coffre")
        let watcher = try DirectoryWatcher(root: try tree.root(), options: Self.fastOptions())
        var events = try watcher.events().makeAsyncIterator()
        try tree.write(".coffre/index.db", "state")
        try tree.write(".coffre-tmp-abc", "partial")
        try tree.write("marker", "m")
        let result = await Self.waitFor(["marker"], from: &events, watcher: watcher)
        #expect(result.paths == ["marker"])
        watcher.stop()
    }

    @Test func signalsAQueueOverflowAsARescan() async throws {
        let limitText = try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
        let limit = try #require(Int(limitText.trimmingCharacters(in: .whitespacesAndNewlines)))
        try #require(limit <= 1 << 17, "queue limit too large to overflow in a unit test")
        let tree = try TemporaryTree()
        let watcher = try DirectoryWatcher(root: try tree.root(), options: Self.fastOptions())
        // Nobody reads yet: each new file queues IN_CREATE and IN_CLOSE_WRITE.
        let folder = open(tree.path, O_RDONLY | O_DIRECTORY)
        defer { close(folder) }
        for index in 0..<(limit / 2 + 64) {
            let fd = openat(folder, "f\(index)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            try #require(fd >= 0)
            close(fd)
        }
        var events = try watcher.events().makeAsyncIterator()
        let timer = Task {
            guard (try? await Task.sleep(for: Self.timeout)) != nil else { return }
            watcher.stop()
        }
        defer { timer.cancel() }
        var sawOverflow = false
        while let event = await events.next() {
            if event == .rescanRequired(.overflow) {
                sawOverflow = true
                break
            }
        }
        #expect(sawOverflow)
        watcher.stop()
    }

    @Test func degradesToPeriodicScansWhenOutOfWatches() async throws {
        let tree = try TemporaryTree()
        try tree.folder("a")
        try tree.folder("b")
        var options = Self.fastOptions()
        options.maximumWatches = 1
        options.fallbackScanInterval = .milliseconds(50)
        let watcher = try DirectoryWatcher(root: try tree.root(), options: options)
        #expect(watcher.isDegraded)
        var events = try watcher.events().makeAsyncIterator()
        #expect(await events.next() == .degraded(.watchLimitReached))
        let timer = Task {
            guard (try? await Task.sleep(for: Self.timeout)) != nil else { return }
            watcher.stop()
        }
        defer { timer.cancel() }
        var sawPeriodic = false
        while let event = await events.next() {
            if event == .rescanRequired(.periodic) {
                sawPeriodic = true
                break
            }
        }
        #expect(sawPeriodic)
        watcher.stop()
    }

    @Test func asksForARescanWhenTheRootGoesAway() async throws {
        let tree = try TemporaryTree()
        try tree.folder("root")
        let watcher = try DirectoryWatcher(root: try SyncRoot(path: tree.absolute("root")), options: Self.fastOptions())
        var events = try watcher.events().makeAsyncIterator()
        try tree.rename("root", "elsewhere")
        let result = await Self.waitUntil(from: &events, watcher: watcher) { _, others in !others.isEmpty }
        #expect(result.others.first == .rescanRequired(.rootChanged))
        watcher.stop()
    }

    @Test func streamsOnceAndEndsOnStop() async throws {
        let tree = try TemporaryTree()
        let watcher = try DirectoryWatcher(root: try tree.root(), options: Self.fastOptions())
        let stream = try watcher.events()
        #expect(throws: LocalFSError.self) { try watcher.events() }
        watcher.stop()
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 0)
    }
}
