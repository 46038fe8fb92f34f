/// A task that cannot be read or made; the message says where and why.
public enum TaskError: Error, CustomStringConvertible {
    case data(String)
    public var description: String {
        switch self { case .data(let m): return m }
    }
}
