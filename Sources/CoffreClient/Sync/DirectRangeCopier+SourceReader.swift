import CSystemShims
import Glibc

extension DirectRangeCopier {
    /// Reads a copy's source slice by slice into the copier's aligned buffer: with O_DIRECT
    /// (whole blocks from the block the position lies in, the bytes wanted returned from within),
    /// or with plain pread(2) when asked to or when the file system refuses O_DIRECT (EINVAL,
    /// from fcntl(2) or a read), from then on. `end` puts the descriptor's flags back.
    struct SourceReader {
        let descriptor: Int32
        /// Whether reads are direct now.
        private(set) var direct: Bool
        /// The descriptor's status flags before O_DIRECT was added; nil when it was not.
        private var savedFlags: Int32?
        /// Bytes at the buffer's front that the reads so far filled.
        private(set) var touched = 0

        init(descriptor: Int32, direct wanted: Bool) {
            self.descriptor = descriptor
            direct = false
            guard wanted else { return }
            let (flags, _) = retryingOnInterrupt { fcntl(descriptor, F_GETFL) }
            guard flags >= 0 else { return }
            if flags & COFFRE_O_DIRECT != 0 {
                direct = true
                return
            }
            // fcntl(2): F_SETFL may change O_DIRECT; EINVAL where the file system has no direct I/O.
            let (result, _) = retryingOnInterrupt { fcntl(descriptor, F_SETFL, flags | COFFRE_O_DIRECT) }
            guard result == 0 else { return }
            savedFlags = flags
            direct = true
        }

        /// Turns O_DIRECT off again if this reader turned it on. Reads after this are buffered.
        mutating func end() {
            guard let flags = savedFlags else { return }
            // Failing to clear it leaves a descriptor only fstat(2) and further direct copies use.
            _ = retryingOnInterrupt { fcntl(descriptor, F_SETFL, flags) }
            savedFlags = nil
            direct = false
        }

        /// Up to `buffer.count` bytes of the source from `offset` read with plain pread(2) into
        /// `buffer`; 0 at the source's end.
        func readBuffered(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, fault: ReadFault?) throws(LocalFSError) -> Int {
            let asked = try fault?(offset, buffer.count, false) ?? buffer.count
            let (read, code) = retryingOnInterrupt { pread(descriptor, buffer.baseAddress!, min(asked, buffer.count), off_t(offset)) }
            guard read >= 0 else { throw .system(operation: "read an unchanged range", code: code) }
            return read
        }

        /// Up to `wanted` bytes of the source from `offset` read with O_DIRECT into `buffer`
        /// (block-aligned, a multiple of the block size), returned from within it: the whole
        /// blocks covering as much of the range as the buffer holds. Empty at the source's end
        /// (a read that ends inside the block the range starts in); nil when the file system
        /// refused the direct read (EINVAL), after which this reader reads through the page cache.
        mutating func readDirect(
            into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, upTo wanted: Int64, fault: ReadFault?
        ) throws(LocalFSError) -> UnsafeRawBufferPointer? {
            let block = Int64(DirectWriteStaging.blockSize)
            let head = Int(offset % block)
            let span = min(Int64(head) + wanted, Int64(buffer.count))
            let count = Int((span + block - 1) / block * block)
            let start = offset - Int64(head)
            do throws(LocalFSError) {
                let asked = try fault?(start, count, true) ?? count
                let (read, code) = retryingOnInterrupt { pread(descriptor, buffer.baseAddress!, min(asked, count), off_t(start)) }
                guard read >= 0 else { throw .system(operation: "read an unchanged range", code: code) }
                touched = max(touched, read)
                guard read > head else { return UnsafeRawBufferPointer(rebasing: buffer[0..<0]) }
                let end = min(read, head + Int(min(wanted, Int64(buffer.count))))
                return UnsafeRawBufferPointer(rebasing: buffer[head..<end])
            } catch .system(operation: _, code: EINVAL) {
                end()
                direct = false
                return nil
            }
        }
    }
}
