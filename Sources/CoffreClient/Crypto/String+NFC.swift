import Foundation

extension String {
    /// The Unicode Normalization Form C of this string (UAX #15), as UTF-8 bytes. Passwords and
    /// names are normalized before hashing so that "é" typed as one or two code points is the
    /// same secret and the same name on every platform.
    var nfcUTF8: [UInt8] { Array(precomposedStringWithCanonicalMapping.utf8) }
}
