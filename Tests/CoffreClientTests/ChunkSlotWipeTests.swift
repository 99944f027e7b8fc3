@testable import CoffreClient
import Glibc
import Testing

/// `ChunkSlot.wipeResidentPages`: every byte of the buffer that was written is wiped, bytes
/// outside the buffer are left alone, pages never written stay out of memory, and a failing
/// residency query falls back to wiping the whole buffer.
@Suite struct ChunkSlotWipeTests {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Fresh anonymous pages (none in memory yet), unmapped after `body`.
    static func withFreshPages<R>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R) throws -> R {
        let length = count * pageSize
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        try #require(address != MAP_FAILED)
        defer { munmap(address, length) }
        return try body(UnsafeMutableRawBufferPointer(start: address, count: length))
    }

    /// Which of the `count` pages at `base` are in memory.
    static func residentPages(_ base: UnsafeMutableRawPointer, count: Int) throws -> [Bool] {
        var vector = [UInt8](repeating: 0, count: count)
        try #require(mincore(base, count * pageSize, &vector) == 0)
        return vector.map { $0 & 1 != 0 }
    }

    @Test func writtenBytesAreWipedAndUnwrittenPagesStayOut() throws {
        try Self.withFreshPages(64) { pages in
            let page = Self.pageSize
            // The slot's buffer starts and ends inside a page, as malloc's do.
            let buffer = UnsafeMutableRawBufferPointer(rebasing: pages[100..<(60 * page + 7)])
            pages[50] = 0x5A  // before the buffer, on its first page
            for index in 0..<(2 * page) { buffer[index] = 0xAB }  // pages 0-2
            for index in (20 * page)..<(21 * page) { buffer[index] = 0xCD }  // pages 20-21
            buffer[buffer.count - 1] = 0xEF  // the buffer's last byte, page 60
            pages[60 * page + 7] = 0x77  // after the buffer, on its last page
            ChunkSlot.wipeResidentPages(buffer)
            // Looked at before the bytes are read: reading a page maps it (the zero page).
            let resident = try Self.residentPages(pages.baseAddress!, count: 64)
            let written: Set = [0, 1, 2, 20, 21, 60]
            for number in 0..<64 where !written.contains(number) {
                #expect(!resident[number], "page \(number) was brought into memory")
            }
            #expect(buffer.allSatisfy { $0 == 0 })
            #expect(pages[50] == 0x5A)
            #expect(pages[60 * page + 7] == 0x77)
        }
    }

    @Test func aFailingResidencyQueryWipesTheWholeBuffer() throws {
        try Self.withFreshPages(8) { pages in
            for index in pages.indices { pages[index] = 0xAB }
            let buffer = UnsafeMutableRawBufferPointer(rebasing: pages[10..<(pages.count - 10)])
            ChunkSlot.wipeResidentPages(buffer) { _, _, _ in
                errno = ENOMEM
                return -1
            }
            #expect(buffer.allSatisfy { $0 == 0 })
            #expect(pages[..<10].allSatisfy { $0 == 0xAB })
            #expect(pages[(pages.count - 10)...].allSatisfy { $0 == 0xAB })
        }
    }

    @Test func onlyThePagesReportedInMemoryAreWiped() throws {
        try Self.withFreshPages(8) { pages in
            for index in pages.indices { pages[index] = 0xAB }
            // Only page 3 reported in memory: only its bytes are wiped.
            ChunkSlot.wipeResidentPages(pages) { _, length, vector in
                for page in 0..<(length / Self.pageSize) { vector[page] = page == 3 ? 1 : 0 }
                return 0
            }
            let page = Self.pageSize
            #expect(pages[(3 * page)..<(4 * page)].allSatisfy { $0 == 0 })
            #expect(pages[..<(3 * page)].allSatisfy { $0 == 0xAB })
            #expect(pages[(4 * page)...].allSatisfy { $0 == 0xAB })
        }
    }

}
