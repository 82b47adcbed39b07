import DQSystem

/// The server's `LISTEN`/`NOTIFY` channel of a waiter's channel (a queue, or a piece of
/// shared state): an identifier made from a name of up to 200 bytes of any UTF-8. The
/// same as the schema's `dq.channel(name)`, which writers use, computed here so that a
/// first wait does not need a round trip for it.
enum NotificationChannel {
    /// `dq_` and the first 24 hex digits of the MD5 of `name`'s UTF-8.
    static func name(for name: String) -> String {
        "dq_" + Hex.lowercase(Array(MD5.digest(Array(name.utf8)).prefix(12)))
    }
}
