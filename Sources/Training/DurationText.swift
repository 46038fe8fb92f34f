/// Durations as people read them in progress lines.
public enum DurationText {
    /// `95` → `1m35s`, `4000` → `1h6m`.
    public static func of(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(s % 3600 / 60)m" }
        if s >= 60 { return "\(s / 60)m\(s % 60)s" }
        return "\(s)s"
    }
}
