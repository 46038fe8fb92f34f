import Model

extension ModelConfig {
    /// A model small enough for a unit test: 4 query heads sharing 2 KV heads, an FFN 1.5× as wide
    /// as the model unless `ffn` is given, Strawberry's byte vocabulary.
    public static func tiny(dim: Int = 32, layers: Int = 2, ffn: Int? = nil, context: Int, tied: Bool = true) -> ModelConfig {
        ModelConfig(dim: dim, layers: layers, heads: 4, kvHeads: 2, ffnDim: ffn ?? dim * 3 / 2, contextLength: context,
                    tiedEmbeddings: tied)
    }

    /// A model slow enough (256 wide, 4 layers) that a long request is still decoding when a test
    /// acts on it.
    public static func slow(context: Int) -> ModelConfig {
        ModelConfig(dim: 256, layers: 4, heads: 4, kvHeads: 2, ffnDim: 512, contextLength: context)
    }
}
