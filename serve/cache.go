package serve

import "container/list"

// prefixCache keeps finished requests' KV by session, as vLLM's and
// SGLang's prefix caches keep the blocks of a conversation's history: the
// next request of the session reuses up to its PrefixLen tokens of it
// instead of prefilling them. Entries are evicted least recently used
// first when blocks are needed. Requests without a session never hit.
type prefixCache struct {
	off     bool
	block   int // tokens per block
	blocks  float64
	entries map[string]*list.Element
	lru     list.List // of *cached, least recent first
	hits    int       // prompt tokens served from the cache
}

type cached struct {
	session string
	tokens  int
}

func newPrefixCache(off bool, block int) *prefixCache {
	return &prefixCache{off: off, block: block, entries: map[string]*list.Element{}}
}

// lookup gives r the cached prefix of its session, if any: r starts with
// those tokens prefilled and holds their blocks.
func (c *prefixCache) lookup(r *req, in *instance) {
	if c.off || r.Session == "" || r.PrefixLen == 0 || r.prefilled > 0 {
		return
	}
	el, ok := c.entries[r.Session]
	if !ok {
		return
	}
	e := el.Value.(*cached)
	hit := min(e.tokens, r.PrefixLen, r.prompt-1)
	if hit <= 0 {
		return
	}
	c.remove(el)
	r.prefilled, r.prefixHit = hit, hit
	in.preBlocks += blocksFor(hit, in.block)
}

// unlookup undoes a lookup whose request could not be scheduled.
func (c *prefixCache) unlookup(r *req, in *instance) {
	if r.prefixHit == 0 {
		return
	}
	in.preBlocks -= blocksFor(r.prefixHit, in.block)
	c.put(r.Session, r.prefixHit)
	r.prefilled, r.prefixHit = 0, 0
}

// keep caches a finished request's context for its session.
func (c *prefixCache) keep(r *req, in *instance) {
	if c.off || r.Session == "" {
		return
	}
	c.hits += r.prefixHit
	c.put(r.Session, r.Input+r.Output)
	c.evictFor(in, in.k, 0)
}

func (c *prefixCache) put(session string, tokens int) {
	if el, ok := c.entries[session]; ok {
		c.remove(el)
	}
	c.entries[session] = c.lru.PushBack(&cached{session, tokens})
	c.blocks += blocksFor(tokens, c.block)
}

func (c *prefixCache) remove(el *list.Element) {
	e := el.Value.(*cached)
	c.lru.Remove(el)
	delete(c.entries, e.session)
	c.blocks -= blocksFor(e.tokens, c.block)
}

// evictFor evicts the least recently used prefixes until need more blocks
// fit in in's cache at step k; it says whether any were evicted.
func (c *prefixCache) evictFor(in *instance, k int, need float64) bool {
	any := false
	for c.lru.Len() > 0 && in.used(k)+need > in.blocks {
		c.remove(c.lru.Front())
		any = true
	}
	return any
}

// evictAll empties the cache; it says whether it held anything.
func (c *prefixCache) evictAll(in *instance) bool { return c.evictFor(in, in.k, in.blocks+1) }
