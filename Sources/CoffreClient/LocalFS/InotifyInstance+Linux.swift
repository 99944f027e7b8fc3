import CSystemShims
import Glibc

/// One event read from inotify (inotify(7), "Reading events from an inotify file descriptor").
struct InotifyEvent: Equatable {
    /// Watch descriptor the event is for (-1 for IN_Q_OVERFLOW).
    let watch: Int32
    /// IN_* bits.
    let mask: UInt32
    /// The entry's name inside the watched folder, without padding; empty for the folder itself.
    let name: [UInt8]

    func has(_ bits: UInt32) -> Bool { mask & bits != 0 }
}

/// Owns one inotify instance (inotify_init1(2), non-blocking, close-on-exec).
/// Sendable: the descriptor is immutable and the kernel serializes calls on it.
final class InotifyInstance: Sendable {
    /// Events watched on every folder: content and metadata changes, entries created, deleted
    /// and moved in or out, and the folder itself going away. IN_EXCL_UNLINK drops events for
    /// files unlinked while still open; IN_ONLYDIR refuses anything that is not a folder.
    static let folderMask: UInt32 =
        COFFRE_IN_MODIFY | COFFRE_IN_ATTRIB | COFFRE_IN_CLOSE_WRITE | COFFRE_IN_MOVED_FROM | COFFRE_IN_MOVED_TO
        | COFFRE_IN_CREATE | COFFRE_IN_DELETE | COFFRE_IN_DELETE_SELF | COFFRE_IN_MOVE_SELF
        | COFFRE_IN_ONLYDIR | COFFRE_IN_EXCL_UNLINK

    let descriptor: LocalFileDescriptor

    private init(descriptor: LocalFileDescriptor) {
        self.descriptor = descriptor
    }

    /// A new instance, or the errno of inotify_init1(2) (EMFILE: per-user instance limit).
    static func make() -> Result<InotifyInstance, Errno> {
        let fd = coffre_inotify_init()
        guard fd >= 0 else { return .failure(Errno(errno)) }
        return .success(InotifyInstance(descriptor: LocalFileDescriptor(adopting: fd)))
    }

    /// Watches the folder open on `folder`. The watch is added through /proc/self/fd, so it is
    /// exactly the folder that was opened (with O_NOFOLLOW), whatever happens to its path, and
    /// no absolute path (which could exceed PATH_MAX) is built. Returns the watch descriptor or
    /// the errno (ENOSPC: the user's watch limit, fs.inotify.max_user_watches).
    func addWatch(on folder: LocalFileDescriptor) -> Result<Int32, Errno> {
        let watch = "/proc/self/fd/\(folder.raw)".withCString { coffre_inotify_add_watch(descriptor.raw, $0, Self.folderMask) }
        guard watch >= 0 else { return .failure(Errno(errno)) }
        return .success(watch)
    }

    /// inotify_rm_watch(2); EINVAL (the kernel already dropped the watch) is not an error here.
    func removeWatch(_ watch: Int32) {
        _ = coffre_inotify_rm_watch(descriptor.raw, watch)
    }

    /// Reads the events waiting, appending them to `events`; returns false when none was
    /// waiting (EAGAIN). Each record is bounds-checked against the bytes read.
    func readEvents(into events: inout [InotifyEvent], buffer: UnsafeMutableRawBufferPointer) throws(LocalFSError) -> Bool {
        let (count, code) = retryingOnInterrupt { read(descriptor.raw, buffer.baseAddress, buffer.count) }
        if count < 0 {
            if code == EAGAIN || code == EWOULDBLOCK { return false }
            throw .system(operation: "read inotify events", code: code)
        }
        let header = COFFRE_INOTIFY_EVENT_SIZE
        var offset = 0
        while offset < count {
            // struct inotify_event: int wd; uint32_t mask, cookie, len; char name[len].
            guard count - offset >= header else { throw .malformedRecord("truncated inotify event") }
            let watch = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            guard length <= count - offset - header else { throw .malformedRecord("inotify name beyond the bytes read") }
            let field = UnsafeRawBufferPointer(rebasing: buffer[(offset + header)..<(offset + header + length)])
            // The name is NUL-terminated and padded with NULs (inotify(7)).
            let name = Array(field.prefix { $0 != 0 })
            events.append(InotifyEvent(watch: watch, mask: mask, name: name))
            offset += header + length
        }
        return count > 0
    }
}
