import Glibc

/// Whether every byte is zero: the first byte, then memcmp(3) of the bytes against themselves
/// shifted by one. A wiped multi-MiB buffer is checked in microseconds even in a debug build,
/// where `allSatisfy` makes generic calls per byte (seconds of the test run's two shared
/// threads for the refusal cases that check their buffers).
func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
    return base.load(as: UInt8.self) == 0 && memcmp(base, base + 1, bytes.count - 1) == 0
}

/// `isAllZero` of an array's bytes.
func isAllZero(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { isAllZero($0) }
}

/// The bytes of `raw` as a new array, in one memcpy (`Array(raw)` copies them one by one
/// through generic code in a debug build).
func copiedBytes(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: raw.count) { buffer, count in
        if let base = raw.baseAddress, !raw.isEmpty { buffer.baseAddress!.initialize(from: base.assumingMemoryBound(to: UInt8.self), count: raw.count) }
        count = raw.count
    }
}
