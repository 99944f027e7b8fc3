import CoffreProtocol

/// `coffre sync` without `--once`: keeps the folder synced until cancelled.
extension SyncEngine {
    /// Runs passes whenever something may have changed: inotify events from the folder
    /// (`DirectoryWatcher`, set up before the first scan so nothing is missed), the changes
    /// feed long-polled for new commits, and a full pass every `fullScanInterval` as a safety
    /// net. Wake-ups that come while a pass runs, or within `debounce` of each other, make one
    /// pass. A failed pass is kept in `status()` and retried at the next wake-up. Returns when
    /// the calling task is cancelled; throws only when watching cannot start.
    public func run() async throws {
        let watcher: DirectoryWatcher
        let events: AsyncStream<WatchEvent>
        do {
            watcher = try DirectoryWatcher(root: root, options: configuration.watcherOptions)
            events = try watcher.events()
        } catch {
            throw SyncClientError.localFileSystem(operation: "watch the folder", underlying: error)
        }
        defer { watcher.stop() }
        // One buffered wake-up is enough: a pass after it sees everything that happened before.
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let configuration = configuration
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in events { wake.yield() }
            }
            group.addTask { await self.longPoll(wake: wake) }
            group.addTask {
                while (try? await Task.sleep(for: configuration.fullScanInterval)) != nil { wake.yield() }
            }
            group.addTask {
                wake.yield()
                for await _ in wakeUps {
                    guard (try? await Task.sleep(for: configuration.debounce)) != nil else { return }
                    // The error is kept for `status()`; the next wake-up tries again.
                    _ = try? await self.syncOnce()
                }
            }
            // Every task runs until cancelled: wait for that, then stop the others.
            await group.next()
            group.cancelAll()
            wake.finish()
        }
    }

    /// Waits on the changes feed for commits after the stored cursor and wakes a pass for
    /// each batch; backs off after a failure (the server may be away).
    private func longPoll(wake: AsyncStream<Void>.Continuation) async {
        var lastSeen: Int64 = 0
        while !Task.isCancelled {
            do {
                let since = max(try await index.feedPosition().cursor, lastSeen)
                switch try await remote.changes(since: since, limit: FeedReader.pageSize, wait: configuration.longPollWait) {
                case .page(let page):
                    if !page.entries.isEmpty {
                        lastSeen = max(lastSeen, page.cursor)
                        wake.yield()
                    }
                case .cursorGone:
                    wake.yield()
                    try await Task.sleep(for: configuration.debounce)
                }
            } catch {
                guard (try? await Task.sleep(for: .seconds(5))) != nil else { return }
            }
        }
    }
}
