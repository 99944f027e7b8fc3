/// Parses and formats byte sizes the way operators write them: `1048576`, `512KiB`, `64 MiB`,
/// `2GB` (binary suffixes are powers of 1024, decimal ones of 1000).
public enum ByteSize {
    private static let units: [(suffix: String, factor: Int64)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1),
    ]

    /// The number of bytes `text` names, or nil when it is not a non-negative size that fits in Int64.
    public static func parse(_ text: String) -> Int64? {
        let lower = text.lowercased().filter { !$0.isWhitespace }
        var number = Substring(lower)
        var factor: Int64 = 1
        for unit in units where lower.hasSuffix(unit.suffix) {
            number = lower.dropLast(unit.suffix.count)
            factor = unit.factor
            break
        }
        guard !number.isEmpty, number.allSatisfy(\.isASCII), let value = Int64(number), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// `1536` → `1.5 KiB`, for tables and messages.
    public static func format(_ bytes: Int64) -> String {
        let names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var index = 0
        while abs(value) >= 1024, index < names.count - 1 {
            value /= 1024
            index += 1
        }
        if index == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(names[index])" : "\(rounded) \(names[index])"
    }
}
