@preconcurrency import Glibc

/// The running kernel, as `uname(2)` describes it.
public enum Kernel {
    /// `uname(2)`'s `release`, for example "6.8.0-45-generic".
    public static var release: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
