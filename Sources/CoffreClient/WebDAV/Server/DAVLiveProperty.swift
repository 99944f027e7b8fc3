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

    /// Writes `<D:name>value</D:name>` (or the empty element when `nameOnly`).
    func write(to writer: inout DAVXMLWriter, info: DAVResourceInfo, locks: [DAVLock], now: Double, nameOnly: Bool) {
        writer.raw("<D:")
        writer.raw(rawValue)
        if nameOnly {
            writer.raw("/>")
            return
        }
        writer.raw(">")
        switch self {
        case .creationdate:
            // RFC 4918 §15.1: RFC 3339 date-time.
            writer.raw(Self.rfc3339(info.creationDate))
        case .displayname:
            writer.text(info.path.name)
        case .getcontentlength:
            writer.raw(String(info.contentLength))
        case .getcontenttype:
            writer.text(info.contentType ?? DAVContentType.fallback)
        case .getetag:
            writer.text("\"\(info.etag ?? "")\"")
        case .getlastmodified:
            // RFC 4918 §15.7: rfc1123-date (IMF-fixdate, RFC 9110 §5.6.7).
            writer.raw(HTTPDate.format(info.lastModified))
        case .resourcetype:
            if info.isCollection { writer.raw("<D:collection/>") }
        case .supportedlock:
            // RFC 4918 §15.10: exclusive and shared write locks.
            writer.raw("<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>")
            writer.raw("<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>")
        case .lockdiscovery:
            for lock in locks { Self.writeActiveLock(lock, to: &writer, now: now) }
        }
        writer.raw("</D:")
        writer.raw(rawValue)
        writer.raw(">")
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
