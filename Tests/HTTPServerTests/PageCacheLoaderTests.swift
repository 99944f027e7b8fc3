import Foundation
import Glibc
@testable import HTTPServer
import HTTPTypes
import Testing

/// `PageCacheLoader` and the response API over it: whether a file region is in the page cache
/// (cachestat(2), or RWF_NOWAIT probes), and loading it there off the loop (sendfile(2) to
/// /dev/null, or pread(2) when /dev/null is not available). Files are evicted with fsync(2)
/// and POSIX_FADV_DONTNEED, and residency is read independently with mincore(2).
@Suite("Server: loading file regions into the page cache")
struct PageCacheLoaderTests {
    /// An open file of `count` patterned bytes, written, synced and evicted from the page cache.
    final class EvictedFile: Sendable {
        let path: String
        let descriptor: Int32
        let bytes: [UInt8]

        init(count: Int) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("page-cache-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("blob").path
            bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            try #require(descriptor >= 0)
            evict()
        }

        deinit {
            close(descriptor)
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
        }

        /// Drops the file's (clean) pages from the page cache, trying again for up to 3 s:
        /// under the load of the whole suite a first POSIX_FADV_DONTNEED can leave pages
        /// behind (seen in CI).
        func evict() {
            fsync(descriptor)
            for _ in 0..<300 {
                posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
                if (try? residentPages()) == 0 { return }
                usleep(10_000)
            }
        }

        /// Pages of the file in the page cache, by mincore(2) on a mapping of it.
        func residentPages() throws -> Int {
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
            let pages = (bytes.count + pageSize - 1) / pageSize
            guard let mapping = mmap(nil, bytes.count, PROT_READ, MAP_SHARED, descriptor, 0), mapping != MAP_FAILED else {
                throw POSIXError(.EIO)
            }
            defer { munmap(mapping, bytes.count) }
            var vector = [UInt8](repeating: 0, count: pages)
            try #require(mincore(mapping, bytes.count, &vector) == 0)
            return vector.reduce(0) { $0 + Int($1 & 1) }
        }
    }

    @Test(arguments: [true, false])
    func anEvictedFileIsUncachedUntilLoaded(throughDevNull: Bool) throws {
        let file = try EvictedFile(count: (3 << 20) + 1_234)
        try #require(try file.residentPages() == 0, "this file system keeps evicted pages (tmpfs?)")
        let loader = throughDevNull ? PageCacheLoader.shared : PageCacheLoader(nullDevice: nil)
        let size = Int64(file.bytes.count)
        #expect(!loader.isCached(descriptor: file.descriptor, offset: 0, length: size))
        #expect(!loader.isCachedByProbes(descriptor: file.descriptor, offset: 0, length: size))
        try loader.load(descriptor: file.descriptor, offset: 0, length: size)
        #expect(try file.residentPages() == (file.bytes.count + 4_095) / 4_096)
        #expect(loader.isCached(descriptor: file.descriptor, offset: 0, length: size))
        #expect(loader.isCachedByProbes(descriptor: file.descriptor, offset: 0, length: size))
    }

    /// Only the region asked for is judged: a loaded tail is cached while the head is not.
    @Test func aRegionIsJudgedAndLoadedOnItsOwn() throws {
        let file = try EvictedFile(count: 4 << 20)
        try #require(try file.residentPages() == 0, "this file system keeps evicted pages (tmpfs?)")
        let loader = PageCacheLoader.shared
        let tail: (offset: Int64, length: Int64) = (3 << 20, 1 << 20)
        try loader.load(descriptor: file.descriptor, offset: tail.offset, length: tail.length)
        #expect(loader.isCached(descriptor: file.descriptor, offset: tail.offset, length: tail.length))
        #expect(!loader.isCached(descriptor: file.descriptor, offset: 0, length: 4_096))
        #expect(!loader.isCached(descriptor: file.descriptor, offset: 0, length: 4 << 20))
    }

    /// Nothing to read is cached; a load past the end of the file stops there without an error
    /// (the send reports the short file); a descriptor that cannot be read throws.
    @Test func emptyRegionsShortFilesAndUnreadableDescriptors() throws {
        let file = try EvictedFile(count: 10_000)
        for loader in [PageCacheLoader.shared, PageCacheLoader(nullDevice: nil)] {
            #expect(loader.isCached(descriptor: file.descriptor, offset: 0, length: 0))
            try loader.load(descriptor: file.descriptor, offset: 5_000, length: 1 << 20)
            #expect(loader.isCached(descriptor: file.descriptor, offset: 5_000, length: 5_000))
            let directory = open(FileManager.default.temporaryDirectory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(directory) }
            #expect(throws: HTTPServerError.self) { try loader.load(descriptor: directory, offset: 0, length: 4_096) }
        }
    }

    /// The response API: a file body not in the cache is named, until it is loaded; a HEAD,
    /// a bytes body and an empty region never are.
    @Test func aResponseNamesItsUncachedRegionExceptForHead() async throws {
        let file = try EvictedFile(count: 1 << 20)
        try #require(try file.residentPages() == 0, "this file system keeps evicted pages (tmpfs?)")
        let region = HTTPFileRegion(descriptor: file.descriptor, offset: 0, length: Int64(file.bytes.count), keptOpenBy: file)
        let response = HTTPServerResponse(status: .ok, body: .file(region))
        let get = try HTTPServerRequest(method: .get, target: "/blob")
        let head = try HTTPServerRequest(method: .head, target: "/blob")
        #expect(response.uncachedFileRegion(for: head) == nil)
        #expect(try file.residentPages() == 0, "asking does not read")
        let named = try #require(response.uncachedFileRegion(for: get))
        try await named.loadIntoPageCache()
        #expect(response.uncachedFileRegion(for: get) == nil)
        #expect(try file.residentPages() == (file.bytes.count + 4_095) / 4_096)
        #expect(HTTPServerResponse(status: .ok, body: .bytes([1, 2, 3])).uncachedFileRegion(for: get) == nil)
        let empty = HTTPFileRegion(descriptor: file.descriptor, offset: 0, length: 0, keptOpenBy: file)
        #expect(HTTPServerResponse(status: .ok, body: .file(empty)).uncachedFileRegion(for: get) == nil)
    }
}
