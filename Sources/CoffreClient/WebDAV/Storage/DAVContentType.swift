/// Media types by file name extension, for `getcontenttype` and GET's Content-Type.
public enum DAVContentType {
    /// For names without a known extension (RFC 9110 §8.3: a recipient may treat unknown data
    /// as application/octet-stream).
    public static let fallback = "application/octet-stream"

    private static let byExtension: [String: String] = [
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "json": "application/json", "xml": "application/xml",
        "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "heic": "image/heic", "mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac",
        "wav": "audio/wav", "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska",
        "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ics": "text/calendar; charset=utf-8", "vcf": "text/vcard; charset=utf-8",
    ]

    /// The media type for a resource named `name`, by its extension (case-insensitive).
    public static func forName(_ name: String) -> String {
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")), dot != name.utf8.startIndex else { return fallback }
        let ext = name[name.utf8.index(after: dot)...]
        guard !ext.isEmpty, ext.utf8.count <= 8 else { return fallback }
        if let type = byExtension[String(ext)] { return type }
        guard ext.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return fallback }
        return byExtension[ext.lowercased()] ?? fallback
    }
}
