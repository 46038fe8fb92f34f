import Model

/// Errors from data loading and training runs; each message says what to fix.
public enum TrainingError: Error, CustomStringConvertible {
    case data(String)
    case run(String)
    case model(ModelError)

    public var description: String {
        switch self {
        case .data(let m): return m
        case .run(let m): return m
        case .model(let e): return e.description
        }
    }
}
