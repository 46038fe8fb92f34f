extension KeyedDecodingContainer {
    /// Replaces `value` with the one saved under `key`, if there is one: how options saved by an
    /// older version (without a setting added since) are read, each missing setting keeping its default.
    func update<T: Decodable>(_ value: inout T, forKey key: Key) throws {
        value = try decodeIfPresent(T.self, forKey: key) ?? value
    }
}
