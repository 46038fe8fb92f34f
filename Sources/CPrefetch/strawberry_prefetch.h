// A hint Swift has no spelling for: fetch the cache line at `p` towards the core ahead of its use,
// without waiting for it (a plain load would hold up the instructions behind it, and an unused
// one is removed by the optimiser). Header only; it compiles to one `prefetcht0`.
static inline void strawberry_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
