import CSystemShims
import Glibc

extension DirectoryListing {
    /// Why a folder could not be listed.
    enum ReadFailure: Error {
        /// getdents64(2) failed with this errno.
        case system(Int32)
        /// More entries than the limit.
        case tooManyEntries
        /// A record did not fit the documented linux_dirent64 layout.
        case malformed(String)
    }

    /// Reads every name of the folder open on `folder` with getdents64(2), using `buffer` as the
    /// kernel's scratch space, and sorts them. Each record is bounds-checked against the bytes
    /// the kernel said it wrote.
    static func read(
        _ folder: LocalFileDescriptor, buffer: UnsafeMutableRawBufferPointer, maximumEntries: Int
    ) -> Result<DirectoryListing, ReadFailure> {
        var listing = DirectoryListing()
        let nameOffset = COFFRE_DIRENT64_NAME_OFFSET
        while true {
            let (count, code) = retryingOnInterrupt { coffre_getdents64(folder.raw, buffer.baseAddress, buffer.count) }
            guard count >= 0 else { return .failure(.system(code)) }
            if count == 0 { break }
            guard count <= buffer.count else { return .failure(.malformed("getdents64 count beyond buffer")) }
            var offset = 0
            while offset < count {
                // getdents64(2): d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name NUL-terminated.
                guard count - offset > nameOffset else { return .failure(.malformed("truncated dirent64 header")) }
                let recordLength = Int(buffer.loadUnaligned(fromByteOffset: offset + COFFRE_DIRENT64_RECLEN_OFFSET, as: UInt16.self))
                guard recordLength > nameOffset, recordLength <= count - offset else {
                    return .failure(.malformed("dirent64 record length out of bounds"))
                }
                let type = buffer.load(fromByteOffset: offset + COFFRE_DIRENT64_TYPE_OFFSET, as: UInt8.self)
                let field = UnsafeRawBufferPointer(rebasing: buffer[(offset + nameOffset)..<(offset + recordLength)])
                guard let nameLength = field.firstIndex(of: 0) else { return .failure(.malformed("dirent64 name without NUL")) }
                guard nameLength > 0, nameLength <= LocalPath.maximumComponentByteCount else {
                    return .failure(.malformed("dirent64 name length out of bounds"))
                }
                let name = UnsafeRawBufferPointer(rebasing: field[0..<nameLength])
                let isDot = name.count == 1 && name[0] == UInt8(ascii: ".")
                let isDotDot = name.count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".")
                if !isDot && !isDotDot {
                    guard listing.count < maximumEntries else { return .failure(.tooManyEntries) }
                    listing.append(name, type: type)
                }
                offset += recordLength
            }
        }
        listing.sort()
        return .success(listing)
    }
}
