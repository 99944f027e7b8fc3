import Glibc

/// A point in time given on the command line (`coffre-admin audit --since …`), in UTC:
///
/// - `2026-01-31` (midnight), `2026-01-31T14:05` or `2026-01-31T14:05:09`, optionally with `Z`;
/// - `7d`, `12h`, `30m`: that long before `now`;
/// - a plain number: Unix seconds.
public enum DateArgument {
    /// Unix seconds for `text`; throws `.invalidArgument` naming `option` and the forms.
    public static func parse(_ text: String, option: String, now: Int64) throws(AccountError) -> Int64 {
        let problem = AccountError.invalidArgument(
            "\(option): give a date (2026-01-31 or 2026-01-31T14:05:09, UTC), an age (7d, 12h, 30m) or Unix seconds")
        if let seconds = Int64(text), seconds >= 0 { return seconds }
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0, amount <= 100 * 365 {
            switch unit {
            case "d": return now - amount * 86_400
            case "h": return now - amount * 3600
            case "m": return now - amount * 60
            default: throw problem
            }
        }
        guard let seconds = calendarTime(text) else { throw problem }
        return seconds
    }

    /// `YYYY-MM-DD[THH:MM[:SS]][Z]` as Unix seconds (timegm(3)), or nil.
    static func calendarTime(_ text: String) -> Int64? {
        var body = Substring(text)
        if body.hasSuffix("Z") { body = body.dropLast() }
        let halves = body.split(separator: "T", omittingEmptySubsequences: false)
        guard (1...2).contains(halves.count) else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        let clock = halves.count == 2 ? halves[1].split(separator: ":", omittingEmptySubsequences: false) : []
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2, halves.count == 1 || (2...3).contains(clock.count),
            clock.allSatisfy({ $0.count == 2 })
        else { return nil }
        let numbers = (date + clock).map { part in part.allSatisfy(\.isASCII) ? Int32(part) : nil }
        guard numbers.allSatisfy({ $0 != nil }) else { return nil }
        let values = numbers.map { $0! } + [0, 0, 0]
        let (year, month, day, hour, minute, second) = (values[0], values[1], values[2], values[3], values[4], values[5])
        guard year >= 1970, (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        // timegm normalizes 2026-02-31 to March 3rd: refuse dates that do not exist.
        guard seconds >= 0, parts.tm_mday == day, parts.tm_mon == month - 1 else { return nil }
        return Int64(seconds)
    }
}
