extension HTTPServerResponse {
    /// The file region this response will send when some of it is not in the page cache: then
    /// sending it from the event loop would read the disk on the loop thread (`PageCacheLoader`),
    /// and the handler should `loadIntoPageCache()` it first, or a fast lane should decline.
    /// nil for any other body, for a region already cached, and for a HEAD request (no body
    /// goes out; RFC 9110 §9.3.2).
    public func uncachedFileRegion(for request: HTTPServerRequest) -> HTTPFileRegion? {
        guard request.method != .head, case .file(let region) = body, !region.isInPageCache else { return nil }
        return region
    }
}

extension HTTPFileRegion {
    /// Whether every byte of the region is in the page cache (cachestat(2)), so that sending it
    /// will not wait for the disk.
    public var isInPageCache: Bool {
        PageCacheLoader.shared.isCached(descriptor: descriptor, offset: offset, length: length)
    }

    /// Reads the region into the page cache on the blocking-work queue and returns once all of
    /// it is there; a read error is thrown (`HTTPServerError.system`).
    public func loadIntoPageCache() async throws {
        try await HTTPBlockingWork.run { [self] in
            try PageCacheLoader.shared.load(descriptor: descriptor, offset: offset, length: length)
        }
    }
}
