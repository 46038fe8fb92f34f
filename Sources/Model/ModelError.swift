/// Everything that can go wrong building, loading or feeding a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case invalidInput(String)
    case checkpoint(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid model config: \(m)"
        case .invalidInput(let m): return "invalid model input: \(m)"
        case .checkpoint(let m): return m
        }
    }
}
