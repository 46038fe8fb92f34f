import Foundation

/// The length of worked-solution thinking in tokens of the byte-level vocabulary: one per byte,
/// except the tool markers (`<tool>`, `</tool>`, `<result>`, `</result>`), which are one token
/// each. Trace limits count in it, so a tool call is not charged for its markers' spelling.
public enum ThinkingLength {
    static let markers = ["<tool>", "</tool>", "<result>", "</result>"]

    public static func tokens(_ text: String) -> Int {
        markers.reduce(text.utf8.count) { n, marker in
            n - (text.components(separatedBy: marker).count - 1) * (marker.utf8.count - 1)
        }
    }
}
