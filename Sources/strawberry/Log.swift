import Foundation

/// Writes a progress line to standard error, leaving standard output for data.
func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
