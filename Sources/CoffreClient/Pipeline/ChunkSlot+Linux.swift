import Glibc

/// Wiping a slot's buffer without touching the pages it never used.
///
/// A slot is sized for the largest blob (4.3 MB) and most chunks use a part of it; a pipeline
/// of a process that never ran (the opener of a sync that only uploads) has not used any of it.
/// `explicit_bzero` over the whole buffer made the kernel hand out and zero a fresh page for
/// every page never written, only for it to be wiped and freed: a quarter of the page faults
/// of device A's 1 GiB upload, at exit (docs/performance.md, "Sync client"). A page never
/// written holds nothing to wipe, and `mincore(2)` tells which pages are in memory.
extension ChunkSlot {
    /// Wipes every page of `buffer` that is in memory, with `explicit_bzero`; the pages not in
    /// memory were never written (or were swapped out, which a wipe would not erase either).
    /// When `residency` fails (it is `mincore(2)` but for tests), wipes the whole buffer.
    static func wipeResidentPages(
        _ buffer: UnsafeMutableRawBufferPointer,
        residency: (UnsafeMutableRawPointer, Int, UnsafeMutablePointer<UInt8>) -> Int32 = { mincore($0, $1, $2) }
    ) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard pageSize > 0 else { return explicit_bzero(base, buffer.count) }
        // mincore(2) takes a page-aligned start; the first page may begin before the buffer.
        let start = Int(bitPattern: base)
        let alignedStart = start & ~(pageSize - 1)
        let end = start + buffer.count
        let pageCount = (end - alignedStart + pageSize - 1) / pageSize
        var resident = [UInt8](repeating: 0, count: pageCount)
        let status = resident.withUnsafeMutableBufferPointer { vector in
            residency(UnsafeMutableRawPointer(bitPattern: alignedStart)!, end - alignedStart, vector.baseAddress!)
        }
        guard status == 0 else { return explicit_bzero(base, buffer.count) }
        // Runs of resident pages, each wiped in one call, clipped to the buffer.
        var page = 0
        while page < pageCount {
            guard resident[page] & 1 != 0 else {
                page += 1
                continue
            }
            var last = page
            while last + 1 < pageCount, resident[last + 1] & 1 != 0 { last += 1 }
            let from = max(start, alignedStart + page * pageSize)
            let to = min(end, alignedStart + (last + 1) * pageSize)
            explicit_bzero(UnsafeMutableRawPointer(bitPattern: from)!, to - from)
            page = last + 1
        }
    }
}
