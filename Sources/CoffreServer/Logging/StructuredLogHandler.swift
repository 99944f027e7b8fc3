import Foundation
import Logging

/// A swift-log handler that writes one line per event to standard error, as `logfmt`-style text
/// (`ts=… level=info label=coffred msg="…" key=value`) or as one JSON object per line.
///
/// Each line goes out in a single `write(2)`, so lines from concurrent threads never interleave.
/// What is logged is decided by the callers: no client addresses, tokens or file identifiers.
public struct StructuredLogHandler: LogHandler {
    public enum Format: String, Sendable { case text, json }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: Format
    private let sink: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String, format: Format, level: Logger.Level) {
        self.init(label: label, format: format, level: level) { line in
            var line = line
            line.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 { if errno == EINTR { continue } else { return } }
                    offset += written
                }
            }
        }
    }

    /// A handler handing each finished line (with its newline) to `sink`; tests capture lines this way.
    public init(label: String, format: Format, level: Logger.Level, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let timestamp = Self.timestamp()
        let line: String
        switch format {
        case .text:
            var parts = ["ts=\(timestamp)", "level=\(event.level)", "label=\(Self.quoted(label))", "msg=\(Self.quoted("\(event.message)"))"]
            for key in merged.keys.sorted() { parts.append("\(key)=\(Self.quoted("\(merged[key]!)"))") }
            line = parts.joined(separator: " ") + "\n"
        case .json:
            var object: [String: String] = ["ts": timestamp, "level": "\(event.level)", "label": label, "msg": "\(event.message)"]
            for (key, value) in merged where object[key] == nil { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        sink(line)
    }

    /// Quotes a value when it holds spaces, quotes, `=` or control characters; escapes those.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x20 || $0 == "\\" }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }
}
