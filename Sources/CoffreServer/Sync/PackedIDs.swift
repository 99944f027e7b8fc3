/// Many fixed-size ids handed to one statement as one BLOB, the ids back to back.
///
/// `cte(width:)` is a recursive common table expression, `ids(n, id)`, that cuts parameter `?1`
/// into `width`-byte ids (https://sqlite.org/lang_with.html#recursive_common_table_expressions);
/// `substr` counts bytes on a BLOB (https://sqlite.org/lang_corefunc.html#substr). A statement
/// that joins `ids` to a table then does one index lookup per id, all in one step loop: the
/// set-based form of "look up each of these". SQLite 3.40 has no `unhex()`, the system library
/// no `carray`, and an `IN (?, …)` list would need a statement per batch size.
enum PackedIDs {
    /// The `WITH RECURSIVE ids(n, id) AS (…)` prefix for ids of `width` bytes in `?1`.
    static func cte(width: Int) -> String {
        """
        WITH RECURSIVE ids(n, id) AS (
            SELECT 0, substr(?1, 1, \(width))
            UNION ALL
            SELECT n + 1, substr(?1, (n + 1) * \(width) + 1, \(width)) FROM ids WHERE (n + 1) * \(width) < length(?1)
        )
        """
    }

    /// The bytes of `ids` back to back; `write` appends one id's bytes.
    static func pack<ID>(_ ids: [ID], width: Int, _ write: (ID, inout [UInt8]) -> Void) -> [UInt8] {
        var packed: [UInt8] = []
        packed.reserveCapacity(ids.count * width)
        for id in ids { write(id, &packed) }
        return packed
    }
}
