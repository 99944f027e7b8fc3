import Glibc

/// The names of one folder, read in full and sorted by their bytes, so that a scan yields
/// siblings in a stable order. Names are kept back to back in one byte array (each followed by
/// a NUL, ready for *at(2) calls), with one small record per name: a folder of a million names
/// costs about 40 MB, not a million Strings.
struct DirectoryListing {
    /// Where a name lives in `storage`, and its d_type.
    struct Name {
        let offset: Int32
        let length: UInt16
        let type: UInt8
    }

    private(set) var storage: [UInt8] = []
    private(set) var names: [Name] = []

    /// Number of names (`.` and `..` excluded).
    var count: Int { names.count }

    /// Appends one name (its bytes without NUL) and its d_type.
    mutating func append(_ name: UnsafeRawBufferPointer, type: UInt8) {
        names.append(Name(offset: Int32(storage.count), length: UInt16(name.count), type: type))
        storage.append(contentsOf: name)
        storage.append(0)
    }

    /// Sorts the names by their bytes (memcmp order, shorter prefix first).
    mutating func sort() {
        storage.withUnsafeBufferPointer { bytes in
            names.sort { a, b in
                let common = Int(min(a.length, b.length))
                let order = memcmp(bytes.baseAddress! + Int(a.offset), bytes.baseAddress! + Int(b.offset), common)
                return order != 0 ? order < 0 : a.length < b.length
            }
        }
    }

    /// The d_type of name `index` (DT_UNKNOWN when the file system does not fill it in).
    func type(at index: Int) -> UInt8 { names[index].type }

    /// Calls `body` with the bytes of name `index` (without NUL) and the same name as a
    /// NUL-terminated C string.
    func withName<Result>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>, UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        let name = names[index]
        return try storage.withUnsafeBufferPointer { bytes in
            let start = bytes.baseAddress! + Int(name.offset)
            let cString = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
            return try body(UnsafeBufferPointer(start: start, count: Int(name.length)), cString)
        }
    }

    /// Whether the (sorted) listing holds exactly this name: a binary search.
    func contains(_ name: String) -> Bool {
        let wanted = Array(name.utf8)
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            let precedes = withName(at: middle) { bytes, _ in bytes.lexicographicallyPrecedes(wanted) }
            if precedes { low = middle + 1 } else { high = middle }
        }
        return low < count && withName(at: low) { bytes, _ in bytes.elementsEqual(wanted) }
    }
}
