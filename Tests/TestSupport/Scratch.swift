import Foundation

/// Fresh paths inside one temporary folder per test process, removed when the process exits, so
/// that test files never pile up in /tmp.
public enum Scratch {
    public static let root: String = {
        let path = NSTemporaryDirectory() + "strawberry-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "strawberry-tests-\(getpid())") }
        return path
    }()

    /// A fresh path (not created) whose name starts with `prefix`.
    public static func path(_ prefix: String, suffix: String = "") -> String {
        root + "/\(prefix)-\(UUID().uuidString)\(suffix)"
    }

    /// A fresh, created folder.
    public static func directory(_ prefix: String) -> String {
        let path = path(prefix)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        return path
    }
}
