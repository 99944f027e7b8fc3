/// One ustar header block (POSIX.1-2017, pax(1), "ustar Interchange Format"): 512 bytes with
/// the file's name, mode, size and time as octal text, and a checksum.
///
/// Only what an export needs: regular files with relative paths of `[A-Za-z0-9._-]` components
/// (no `.` or `..`, no empty component), at most 255 bytes split into the 155-byte prefix and
/// 100-byte name fields at a `/`, and sizes below 8 GiB (11 octal digits).
struct TarHeader {
    static let blockSize = 512
    /// Largest size the 12-byte octal field holds: 8^11 − 1.
    static let maximumFileSize: Int64 = (1 << 33) - 1

    let path: String
    let size: Int64
    let modificationTime: Int64
    let mode: Int

    /// Checks the path and size; throws an `internalError` naming the rule (paths are chosen by
    /// the server's own code, never by a client).
    init(path: String, size: Int64, modificationTime: Int64, mode: Int = 0o644) throws(APIError) {
        guard Self.isValid(path: path) else { throw Self.failure("export path is not a relative path of [A-Za-z0-9._-] names") }
        guard (0...Self.maximumFileSize).contains(size) else { throw Self.failure("export file is 8 GiB or larger") }
        self.path = path
        self.size = size
        self.modificationTime = max(0, min(modificationTime, (1 << 33) - 1))
        self.mode = mode
        _ = try split()
    }

    /// The 512-byte block.
    func encoded() throws(APIError) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let (prefix, name) = try split()
        Self.put(Array(name.utf8), at: 0, in: &block)
        Self.putOctal(mode, width: 8, at: 100, in: &block)
        Self.putOctal(0, width: 8, at: 108, in: &block)  // uid
        Self.putOctal(0, width: 8, at: 116, in: &block)  // gid
        Self.putOctal(Int(size), width: 12, at: 124, in: &block)
        Self.putOctal(Int(modificationTime), width: 12, at: 136, in: &block)
        block[156] = UInt8(ascii: "0")  // typeflag: regular file
        Self.put(Array("ustar".utf8) + [0], at: 257, in: &block)  // magic "ustar\0"
        Self.put(Array("00".utf8), at: 263, in: &block)  // version
        Self.put(Array("coffre".utf8), at: 265, in: &block)  // uname
        Self.put(Array("coffre".utf8), at: 297, in: &block)  // gname
        Self.put(Array(prefix.utf8), at: 345, in: &block)
        // chksum: the sum of all header bytes with the chksum field itself taken as 8 spaces,
        // written as six octal digits, NUL, space.
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        Self.putOctal(sum, width: 7, at: 148, in: &block)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// Zero bytes after a file's data up to the next block boundary.
    static func padding(after size: Int64) -> [UInt8] {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? [] : [UInt8](repeating: 0, count: blockSize - remainder)
    }

    /// The end of an archive: two zero blocks.
    static let endOfArchive = [UInt8](repeating: 0, count: 2 * blockSize)

    /// (prefix, name): the whole path in `name` when it fits in 100 bytes, else cut at a `/`.
    private func split() throws(APIError) -> (String, String) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") {
            let prefix = bytes[..<index]
            let name = bytes[(index + 1)...]
            if prefix.count <= 155 && name.count <= 100 {
                return (String(decoding: prefix, as: UTF8.self), String(decoding: name, as: UTF8.self))
            }
        }
        throw Self.failure("export path does not fit the ustar name and prefix fields")
    }

    private static func isValid(path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 255 else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && component != "." && component != ".."
                && component.utf8.allSatisfy { byte in
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                        true
                    default: false
                    }
                }
        }
    }

    private static func put(_ bytes: [UInt8], at offset: Int, in block: inout [UInt8]) {
        block.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    /// `width − 1` zero-padded octal digits and a NUL.
    private static func putOctal(_ value: Int, width: Int, at offset: Int, in block: inout [UInt8]) {
        var digits = Array(String(value, radix: 8).utf8)
        while digits.count < width - 1 { digits.insert(UInt8(ascii: "0"), at: 0) }
        put(digits + [0], at: offset, in: &block)
    }

    private static func failure(_ rule: String) -> APIError {
        APIError(statusCode: 500, code: .internalError, message: rule)
    }
}
