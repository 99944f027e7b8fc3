/// The bytes and file regions waiting to be written on a connection, in order.
struct OutputQueue {
    enum Segment {
        case bytes([UInt8])
        case file(HTTPFileRegion, position: Int64, remaining: Int64)
    }

    private(set) var segments: [Segment] = []
    private var first = 0
    /// Bytes of the first `.bytes` segment already written.
    private(set) var offset = 0
    /// Bytes waiting in `.bytes` segments (file regions not counted).
    private(set) var queuedBytes = 0

    var hasPending: Bool { first < segments.count }
    var front: Segment? { hasPending ? segments[first] : nil }
    /// Whether a file region comes right after the front segment (its head is being written).
    var frontIsFollowedByFile: Bool {
        guard first + 1 < segments.count, case .file = segments[first + 1] else { return false }
        return true
    }

    mutating func append(bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        segments.append(.bytes(bytes))
        queuedBytes += bytes.count
    }

    mutating func append(file region: HTTPFileRegion) {
        guard region.length > 0 else {
            region.close()
            return
        }
        segments.append(.file(region, position: region.offset, remaining: region.length))
    }

    /// Records `count` bytes written from the front segment.
    mutating func advance(by count: Int) {
        switch segments[first] {
        case .bytes(let bytes):
            offset += count
            queuedBytes -= count
            if offset == bytes.count { popFront() }
        case .file(let region, let position, let remaining):
            let left = remaining - Int64(count)
            if left == 0 {
                region.close()
                popFront()
            } else {
                segments[first] = .file(region, position: position + Int64(count), remaining: left)
            }
        }
    }

    /// Drops everything queued, closing file regions.
    mutating func discard() {
        for case .file(let region, _, _) in segments[first...] { region.close() }
        segments = []
        first = 0
        offset = 0
        queuedBytes = 0
    }

    private mutating func popFront() {
        segments[first] = .bytes([])
        first += 1
        offset = 0
        if first == segments.count {
            segments.removeAll(keepingCapacity: segments.capacity <= 16)
            first = 0
        }
    }
}
