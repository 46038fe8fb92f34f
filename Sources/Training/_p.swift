public enum _PlaceholderT {}
