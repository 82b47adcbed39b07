@preconcurrency import Glibc

/// The process's environment variables.
public enum Environment {
    /// `getenv(3)`: the value of `name`, or `nil` if it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
