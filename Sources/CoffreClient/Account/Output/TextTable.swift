/// A plain-text table for terminals: a header row, then one row per item, columns padded to
/// their widest cell and separated by two spaces. Cells are sanitized (`TerminalText`), so a
/// server cannot smuggle escape sequences into the output.
public struct TextTable: Sendable {
    /// How a column is aligned.
    public enum Alignment: Sendable {
        case left
        case right
    }

    /// A column: its header and alignment.
    public struct Column: Sendable {
        public var header: String
        public var alignment: Alignment

        /// A column as given; left-aligned by default.
        public init(_ header: String, _ alignment: Alignment = .left) {
            self.header = header
            self.alignment = alignment
        }
    }

    /// Longest cell, in characters; longer ones are cut with `…`.
    public static let maximumCellLength = 64

    private let columns: [Column]
    private var rows: [[String]] = []

    /// A table with these columns and no rows.
    public init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    public mutating func append(_ cells: [String]) {
        rows.append((0..<columns.count).map { index in
            index < cells.count ? TerminalText.sanitized(cells[index], limit: Self.maximumCellLength) : ""
        })
    }

    /// Number of rows (without the header).
    public var rowCount: Int { rows.count }

    /// The rendered table, each line ending with `\n`, with no trailing spaces.
    public func render() -> String {
        let header = columns.map(\.header)
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var output = ""
        for row in [header] + rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += columns[index].alignment == .right ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            output += line + "\n"
        }
        return output
    }
}
