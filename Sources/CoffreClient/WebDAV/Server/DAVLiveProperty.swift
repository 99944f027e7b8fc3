import Glibc
import HTTPServer

/// The live properties of RFC 4918 §15, computed from `DAVResourceInfo` and the locks; all are
/// protected (PROPPATCH answers 403 for them).
enum DAVLiveProperty: String, CaseIterable {
    case creationdate, displayname, getcontentlength, getcontenttype, getetag, getlastmodified, resourcetype, supportedlock,
        lockdiscovery

    /// The property name in the `DAV:` namespace.
    var name: DAVPropertyName { .dav(rawValue) }

    /// The live property called `name`, if it is one.
    init?(_ name: DAVPropertyName) {
        guard name.namespace == "DAV:", let property = DAVLiveProperty(rawValue: name.name) else { return nil }
        self = property
    }

    /// Whether the resource has this property: a collection has no content length or type
    /// (RFC 4918 §15.4, §15.5 are about GET responses), a resource without tag no `getetag`.
    func isDefined(for info: DAVResourceInfo) -> Bool {
        switch self {
        case .getcontentlength, .getcontenttype: !info.isCollection
        case .getetag: info.etag != nil
        default: true
        }
    }

    /// Writes `<D:name>value</D:name>` (or the empty element when `nameOnly`). Each tag is
    /// one constant: a listing writes these for every member.
    func write(to writer: inout DAVXMLWriter, info: DAVResourceInfo, locks: [DAVLock], now: Double, dates: inout DateCache, nameOnly: Bool) {
        switch self {
        case .creationdate:
            guard !nameOnly else { return writer.raw("<D:creationdate/>") }
            // RFC 4918 §15.1: RFC 3339 date-time.
            writer.raw("<D:creationdate>")
            writer.raw(dates.rfc3339(info.creationDate))
            writer.raw("</D:creationdate>")
        case .displayname:
            guard !nameOnly else { return writer.raw("<D:displayname/>") }
            writer.raw("<D:displayname>")
            writer.text(info.path.name)
            writer.raw("</D:displayname>")
        case .getcontentlength:
            guard !nameOnly else { return writer.raw("<D:getcontentlength/>") }
            writer.raw("<D:getcontentlength>")
            writer.raw(String(info.contentLength))
            writer.raw("</D:getcontentlength>")
        case .getcontenttype:
            guard !nameOnly else { return writer.raw("<D:getcontenttype/>") }
            writer.raw("<D:getcontenttype>")
            writer.text(info.contentType ?? DAVContentType.fallback)
            writer.raw("</D:getcontenttype>")
        case .getetag:
            guard !nameOnly else { return writer.raw("<D:getetag/>") }
            writer.raw("<D:getetag>\"")
            writer.text(info.etag ?? "")
            writer.raw("\"</D:getetag>")
        case .getlastmodified:
            guard !nameOnly else { return writer.raw("<D:getlastmodified/>") }
            // RFC 4918 §15.7: rfc1123-date (IMF-fixdate, RFC 9110 §5.6.7).
            writer.raw("<D:getlastmodified>")
            writer.raw(dates.httpDate(info.lastModified))
            writer.raw("</D:getlastmodified>")
        case .resourcetype:
            writer.raw(info.isCollection && !nameOnly ? "<D:resourcetype><D:collection/></D:resourcetype>" : "<D:resourcetype/>")
        case .supportedlock:
            guard !nameOnly else { return writer.raw("<D:supportedlock/>") }
            // RFC 4918 §15.10: exclusive and shared write locks.
            writer.raw(Self.supportedLocks)
        case .lockdiscovery:
            guard !nameOnly, !locks.isEmpty else { return writer.raw("<D:lockdiscovery/>") }
            writer.raw("<D:lockdiscovery>")
            for lock in locks { Self.writeActiveLock(lock, to: &writer, now: now) }
            writer.raw("</D:lockdiscovery>")
        }
    }

    /// RFC 4918 §14.1 activelock.
    static func writeActiveLock(_ lock: DAVLock, to writer: inout DAVXMLWriter, now: Double) {
        writer.raw("<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope>")
        writer.raw(lock.scope == .exclusive ? "<D:exclusive/>" : "<D:shared/>")
        writer.raw("</D:lockscope><D:depth>")
        writer.raw(lock.coversMembers ? "infinity" : "0")
        writer.raw("</D:depth>")
        if let owner = lock.ownerXML { writer.raw(String(decoding: owner, as: UTF8.self)) }
        let remaining = max(0, Int((lock.expiresAt - now).rounded(.up)))
        writer.raw("<D:timeout>Second-\(remaining)</D:timeout><D:locktoken><D:href>")
        writer.text(lock.token)
        writer.raw("</D:href></D:locktoken><D:lockroot><D:href>")
        writer.text(lock.root.href(isCollection: lock.rootIsCollection))
        writer.raw("</D:href></D:lockroot></D:activelock>")
    }

    static let supportedLocks: StaticString = """
        <D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>\
        <D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry></D:supportedlock>
        """

    /// Formatted dates of one response body: members of a folder often share their times.
    struct DateCache {
        private var httpDates: [Int64: String] = [:]
        private var rfc3339Dates: [Int64: String] = [:]

        mutating func httpDate(_ seconds: Int64) -> String {
            if let known = httpDates[seconds] { return known }
            let text = HTTPDate.format(seconds)
            if httpDates.count < 4_096 { httpDates[seconds] = text }
            return text
        }

        mutating func rfc3339(_ seconds: Int64) -> String {
            if let known = rfc3339Dates[seconds] { return known }
            let text = DAVLiveProperty.rfc3339(seconds)
            if rfc3339Dates.count < 4_096 { rfc3339Dates[seconds] = text }
            return text
        }
    }

    /// `2026-11-29T04:48:31Z` for seconds since the epoch (RFC 3339 §5.6).
    static func rfc3339(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "1970-01-01T00:00:00Z" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        return "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
