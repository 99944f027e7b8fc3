/// Padmé padding (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
/// Communication with PURBs", PETS 2019, §4): rounds a length up so that only its top
/// ⌊log2 E⌋+1 bits may be non-zero, where E = ⌊log2 L⌋. Overhead is at most 12%, and a length
/// leaks O(log log L) bits.
public enum Padme {
    /// The padded length of `length` (≥ 1). Padmé(L) ≥ L and Padmé(Padmé(L)) = Padmé(L).
    public static func paddedLength(_ length: Int) -> Int {
        precondition(length >= 1, "Padmé is defined for lengths ≥ 1")
        if length < 2 { return length }
        let e = Int.bitWidth - 1 - length.leadingZeroBitCount  // ⌊log2 L⌋
        let s = Int.bitWidth - e.leadingZeroBitCount  // ⌊log2 E⌋ + 1
        let mask = (1 << (e - s)) - 1
        return (length + mask) & ~mask
    }
}
