import DQSystem
@testable import DurableQueuePostgres
import Testing

/// The MD5 that names PostgreSQL channels, against RFC 1321's test suite (the server's
/// `md5()` is compared in `PostgresSchemaTests.channelNames`).
@Suite("Channel digest")
struct ChannelDigestTests {
    private static func hex(_ text: String) -> String {
        Hex.lowercase(MD5.digest(Array(text.utf8)))
    }

    @Test("RFC 1321's test suite, and lengths around the 56- and 64-byte padding edges")
    func rfcVectors() {
        #expect(Self.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Self.hex("a") == "0cc175b9c0f1b6a831c399e269772661")
        #expect(Self.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Self.hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(Self.hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b")
        #expect(Self.hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == "d174ab98d277d9f5a5611c2c9f419d9f")
        #expect(Self.hex(String(repeating: "1234567890", count: 8)) == "57edf4a22be3c955ac49da2e2107b67a")
        // 55, 56 and 64 bytes: one block, two blocks for the length, and a full block.
        #expect(Self.hex(String(repeating: "x", count: 55)) == "04364420e25c512fd958a70738aa8f72")
        #expect(Self.hex(String(repeating: "x", count: 56)) == "668a72d5ba17f08e62dabcafad6db14b")
        #expect(Self.hex(String(repeating: "x", count: 64)) == "c1bb4f81d892b2d57947682aeb252456")
    }

    @Test("channel names: dq_ and the digest's first 24 hex digits")
    func channelName() {
        #expect(NotificationChannel.name(for: "abc") == "dq_900150983cd24fb0d6963f7d")
    }
}
