import Foundation

/// One temporary folder for this test process, removed when the process exits, so that test
/// files (verifier folders, JSONL tasks) never pile up in /tmp.
enum ScratchDirectory {
    static let root: String = {
        let path = NSTemporaryDirectory() + "strawberry-tasks-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "strawberry-tasks-tests-\(getpid())") }
        return path
    }()

    /// A fresh path inside the folder.
    static func path(_ prefix: String, suffix: String = "") -> String {
        root + "/\(prefix)-\(UUID().uuidString)\(suffix)"
    }
}
