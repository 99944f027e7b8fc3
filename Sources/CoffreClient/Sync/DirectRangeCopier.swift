import CSystemShims
import Glibc
import Synchronization

/// Copies a long run of a synced file's bytes into a temp file with O_DIRECT writes
/// (`FileDescriptorDestination` through a `DirectWriteStaging`, the downloads' own path), so the
/// copy allocates no fresh page cache for the new file and leaves no writeback for its fsync.
/// The source is read with O_DIRECT into an aligned buffer when its range is mostly not in the
/// page cache (cachestat(2)), and with plain pread(2) straight into the staging buffer when it
/// is: either way no new page cache is filled for it (docs/performance.md, "Device B: the
/// unchanged GiB copied with direct I/O"). On this VM freshly allocated page cache costs host
/// faults at random (the host takes freed memory back), which made the in-kernel copy of a
/// 1 GiB file cost 0.5–3.8 s of system CPU.
///
/// The device writes one staging buffer in the background while the next slice is read and
/// staged, so the source's reads overlap the destination's writes. It proves nothing itself:
/// `SyncedRangeCopier` checks the source's metadata before the first copy and after the last.
/// Its buffers (16 MiB of staging, 8 MiB more for direct reads) are allocated by the first copy,
/// reused by the file's later runs (so they are faulted in once) and wiped and freed by
/// `release` (after the file's last copy) or deinit; at most `maximumInFlight` copiers in the
/// process hold them at once (a pass downloads 32 files at a time). Use from one thread at a time.
final class DirectRangeCopier {
    /// What a copy did.
    enum Outcome: Equatable {
        /// The whole run is appended.
        case copied
        /// The source ended before the run did: the temp file is cut back to where the run began.
        case sourceEnded
        /// The temp file cannot be written with O_DIRECT (the file system, or a descriptor that
        /// cannot read back the block the run starts in): nothing was written.
        case refused
        /// `maximumInFlight` other copiers hold buffers: nothing was written; copy this run
        /// another way.
        case busy
    }

    /// Places for copiers holding buffers: `maximum` at once.
    final class Places: Sendable {
        let maximum: Int
        private let taken = Atomic<Int>(0)

        init(maximum: Int) {
            self.maximum = maximum
        }

        /// Takes a place; false (none taken) when all are.
        func take() -> Bool {
            guard taken.add(1, ordering: .relaxed).newValue <= maximum else {
                taken.subtract(1, ordering: .relaxed)
                return false
            }
            return true
        }

        func give() {
            taken.subtract(1, ordering: .relaxed)
        }
    }

    /// The process's places: `maximumInFlight`.
    static let shared = Places(maximum: maximumInFlight)
    /// Copiers in the process that may hold buffers at once.
    static let maximumInFlight = 2

    /// Bytes read per pread(2): one staging buffer.
    static let sliceBytes = DirectWriteStaging.capacity
    /// Runs shorter than this are left to copy_file_range(2) (`FileDescriptorDestination`'s
    /// threshold for direct writes).
    static let minimumBytes = FileDescriptorDestination.directWriteMinimum

    /// Test hook: called before each pread(2) of the source with its offset and length; returns
    /// the length to ask for (less: a short read), or throws an error taken as that pread's.
    typealias ReadFault = (_ offset: Int64, _ count: Int, _ direct: Bool) throws(LocalFSError) -> Int

    /// How the source is read.
    enum SourceReads {
        /// Directly when fewer than half its pages are cached (`mostlyUncached`), else buffered.
        case byPageCache
        /// With O_DIRECT wherever the file system allows it.
        case direct
        /// With plain pread(2).
        case buffered
    }

    private let makeStaging: () -> DirectWriteStaging
    private let places: Places
    private let reads: SourceReads
    private let readFault: ReadFault?
    /// Bytes read with O_DIRECT and through the page cache so far (the tests check the path taken).
    private(set) var directReadBytes: Int64 = 0
    private(set) var cachedReadBytes: Int64 = 0
    /// The staging, once this copier holds one of the `maximumInFlight` places.
    private var staging: DirectWriteStaging?
    /// The direct reads' buffer, `sliceBytes`, block-aligned; allocated by the first direct read.
    private var readBuffer: UnsafeMutableRawBufferPointer?
    /// Bytes at the read buffer's front that ever held plaintext.
    private var readTouched = 0

    /// `makeStaging` gives the staging buffers each time the copier takes a place (a test's,
    /// with a write fault); `places` other than `shared`, `reads` other than `byPageCache` and
    /// `readFault` are for tests.
    init(
        places: Places = DirectRangeCopier.shared, makeStaging: @escaping () -> DirectWriteStaging = { DirectWriteStaging() },
        reads: SourceReads = .byPageCache, readFault: ReadFault? = nil
    ) {
        self.places = places
        self.makeStaging = makeStaging
        self.reads = reads
        self.readFault = readFault
    }

    deinit {
        release()
    }

    /// Wipes and frees the buffers and gives up this copier's place; the next copy takes them
    /// again. No copy may be running (none is: copies are blocking calls on the owner's thread).
    func release() {
        guard staging != nil else { return }
        if let readBuffer {
            // explicit_bzero(3): a wipe the compiler may not drop; the buffer held plaintext.
            if readTouched > 0 { explicit_bzero(readBuffer.baseAddress!, readTouched) }
            readBuffer.deallocate()
        }
        (readBuffer, readTouched) = (nil, 0)
        // DirectWriteStaging wipes its own buffers when freed.
        staging = nil
        places.give()
    }

    /// This copier's staging, taking one of the process's places for it; nil when they are all taken.
    private func takeStaging() -> DirectWriteStaging? {
        if let staging { return staging }
        guard places.take() else { return nil }
        let made = makeStaging()
        staging = made
        return made
    }

    private func takeReadBuffer() -> UnsafeMutableRawBufferPointer {
        if let readBuffer { return readBuffer }
        let made = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.sliceBytes, alignment: DirectWriteStaging.blockSize)
        readBuffer = made
        return made
    }

    /// Appends `length` bytes of `source` from `offset` to `destination` at its current offset,
    /// leaving that offset after them. A failure cuts the destination back to where it stood,
    /// O_DIRECT off on both descriptors again. Blocking.
    func copy(from source: Int32, at offset: Int64, length: Int64, to destination: Int32) throws -> Outcome {
        guard let staging = takeStaging() else { return .busy }
        let uncached: Bool
        switch reads {
        case .byPageCache: uncached = Self.mostlyUncached(source, offset: offset, length: length)
        case .direct: uncached = true
        case .buffered: uncached = false
        }
        let target = try FileDescriptorDestination(fileDescriptor: destination)
        target.prepareDirectWrites(byteCount: Int(clamping: length), staging: staging)
        guard target.writesDirectly else { return .refused }
        var reader = SourceReader(descriptor: source, direct: uncached)
        defer {
            reader.end()
            readTouched = max(readTouched, reader.touched)
        }
        do {
            var position = offset
            var remaining = length
            while remaining > 0 {
                var count = 0
                if reader.direct {
                    // Direct reads land in the block-aligned read buffer first (the run's source
                    // and destination offsets need not be congruent modulo the block size);
                    // buffered ones go straight into the staging buffer.
                    let slice = takeReadBuffer()
                    if let bytes = try reader.readDirect(into: slice, at: position, upTo: remaining, fault: readFault) {
                        if bytes.isEmpty { return try endedEarly(target) }
                        try target.write(bytes)
                        count = bytes.count
                        directReadBytes += Int64(count)
                    } else {
                        continue  // refused: read through the page cache from now on
                    }
                } else {
                    let (reader, fault) = (reader, readFault)
                    count = try target.writeInPlace(upTo: Int(min(remaining, Int64(Self.sliceBytes)))) { space in
                        try reader.readBuffered(into: space, at: position, fault: fault)
                    }
                    cachedReadBytes += Int64(count)
                    if count == 0 { return try endedEarly(target) }
                }
                position += Int64(count)
                remaining -= Int64(count)
            }
            try target.finish()
            return .copied
        } catch {
            // The copy's own error is the one to report; the cut's would only hide it.
            _ = Result { () throws(PipelineError) in try target.rollBack() }
            throw error
        }
    }

    /// The source ended before the run: the run's bytes are cut away again.
    private func endedEarly(_ target: FileDescriptorDestination) throws -> Outcome {
        try target.rollBack()
        return .sourceEnded
    }

    /// Whether fewer than half the pages of the range are in the page cache (cachestat(2));
    /// true where the call is missing: reading directly is then the choice that fills nothing.
    static func mostlyUncached(_ descriptor: Int32, offset: Int64, length: Int64) -> Bool {
        var cached: UInt64 = 0
        let (result, _) = retryingOnInterrupt { coffre_cachestat(descriptor, UInt64(offset), UInt64(length), &cached) }
        guard result == 0 else { return true }
        return Int64(cached) * pageSize * 2 < length
    }

    /// The system's page size: cachestat(2) counts pages.
    private static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
}
