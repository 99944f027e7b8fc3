import Glibc

/// How numbers, sizes, times and durations are written in tables and messages.
public enum DisplayFormat {
    /// `1536` → `1.5 KiB` (binary units, one decimal when needed).
    public static func bytes(_ count: Int64) -> String {
        let names = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count)
        var index = 0
        while abs(value) >= 1024, index < names.count - 1 {
            value /= 1024
            index += 1
        }
        if index == 0 { return "\(count) B" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int64(rounded)) \(names[index])" : "\(rounded) \(names[index])"
    }

    /// A quota: `1 GiB`, or `unlimited` for nil.
    public static func quota(_ limit: Int64?) -> String {
        limit.map(bytes) ?? "unlimited"
    }

    /// Unix seconds as `2026-01-02 03:04 UTC` (gmtime_r(3)); `-` for 0 (never).
    public static func time(_ seconds: Int64) -> String {
        guard seconds != 0 else { return "-" }
        var value = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&value, &parts) != nil else { return String(seconds) }
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }

    /// `75` → `1 min 15 s`, `3600` → `1 h`, `0` → `0 s`.
    public static func duration(seconds: Int64) -> String {
        guard seconds > 0 else { return "0 s" }
        let units: [(Int64, String)] = [(86_400, "d"), (3600, "h"), (60, "min"), (1, "s")]
        var rest = seconds
        var parts: [String] = []
        for (size, name) in units where rest >= size && parts.count < 2 {
            parts.append("\(rest / size) \(name)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }

    /// A SHA-256 fingerprint as colon-separated uppercase hex pairs, the way
    /// `openssl x509 -noout -fingerprint -sha256` prints it.
    public static func fingerprint(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let hex = Array("0123456789ABCDEF")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        }.joined(separator: ":")
    }
}
