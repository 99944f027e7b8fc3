import Foundation

extension String {
    /// The Unicode Normalization Form C of this string (UAX #15), as UTF-8 bytes. Passwords and
    /// names are normalized before hashing so that "é" typed as one or two code points is the
    /// same secret and the same name on every platform. ASCII text is its own NFC and skips
    /// Foundation's normalizer (`NameEquivalence.nfc`): that pass was 4 % of device A's CPU over
    /// 10,000 new files, run for each name tag and record (docs/performance.md, "Sync client").
    var nfcUTF8: [UInt8] { Array(NameEquivalence.nfc(self).utf8) }
}
