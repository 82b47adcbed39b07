/// The server's `LISTEN`/`NOTIFY` channel of a waiter's channel (a queue, or a piece of
/// shared state): an identifier made from a name of up to 200 bytes of any UTF-8. The
/// same as the schema's `dq.channel(name)`, which writers use, computed here so that a
/// first wait does not need a round trip for it.
enum NotificationChannel {
    /// `dq_` and the first 24 hex digits of the MD5 of `name`'s UTF-8.
    static func name(for name: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Array("dq_".utf8)
        for byte in MD5.digest(Array(name.utf8)).prefix(12) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
