package serve

import "container/list"

// prefixCache keeps KV by session, as vLLM's and SGLang's prefix caches
// keep the blocks of a system prompt or a conversation's history: a
// request of the session reuses up to its PrefixLen tokens of it instead
// of prefilling them. The blocks are shared, reference-counted: every
// running request of the session reads the same ones, and a finished
// request leaves its whole context as the session's entry. Entries no
// request holds are evicted least recently used first when blocks are
// needed. Requests without a session never hit.
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
	refs    int // running requests reading it
}

func newPrefixCache(off bool, block int) *prefixCache {
	return &prefixCache{off: off, block: block, entries: map[string]*list.Element{}}
}

// lookup gives r the cached prefix of its session, if any: r starts with
// those tokens prefilled, reading the session's shared blocks.
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
	e.refs++
	c.lru.MoveToBack(el)
	r.prefilled, r.prefixHit, r.shared, r.cachedTok = hit, hit, e, hit
}

// publish makes a request's prompt, just prefilled, its session's entry
// (or grows the entry to it): the request's prompt blocks become the
// cache's, which it reads with the session's other requests.
func (c *prefixCache) publish(r *req, in *instance) {
	if c.off || r.Session == "" {
		return
	}
	c.put(r.Session, r.Input)
	e := c.entries[r.Session].Value.(*cached)
	if r.shared == nil {
		e.refs++
		r.shared = e
	}
	r.cachedTok = min(e.tokens, r.Input)
}

// unlookup undoes a lookup whose request could not be scheduled.
func (c *prefixCache) unlookup(r *req, _ *instance) {
	c.release(r)
	r.prefilled, r.prefixHit, r.cachedTok = 0, 0, 0
}

// release drops r's hold on its session's shared blocks.
func (c *prefixCache) release(r *req) {
	if r.shared != nil {
		r.shared.refs--
		r.shared = nil
	}
}

// keep makes a finished request's context its session's entry (or grows
// the entry to it).
func (c *prefixCache) keep(r *req, in *instance) {
	c.hits += r.prefixHit
	c.release(r)
	if c.off || r.Session == "" {
		return
	}
	c.put(r.Session, r.Input+r.Output)
	c.evictFor(in, 0)
}

// handOff counts a prefilled request's hit and leaves its prompt as its
// session's entry on a prefill instance, whose KV moves whole to decode.
func (c *prefixCache) handOff(r *req, in *instance) {
	c.hits += r.prefixHit
	r.prefixHit, r.cachedTok = 0, 0
	c.release(r)
	if c.off || r.Session == "" {
		return
	}
	c.put(r.Session, r.Input)
	c.evictFor(in, 0)
}

// put makes tokens the session's entry, or grows the entry to them.
func (c *prefixCache) put(session string, tokens int) {
	if el, ok := c.entries[session]; ok {
		e := el.Value.(*cached)
		if tokens > e.tokens {
			c.blocks += blocksFor(tokens, c.block) - blocksFor(e.tokens, c.block)
			e.tokens = tokens
		}
		c.lru.MoveToBack(el)
		return
	}
	c.entries[session] = c.lru.PushBack(&cached{session: session, tokens: tokens})
	c.blocks += blocksFor(tokens, c.block)
}

func (c *prefixCache) remove(el *list.Element) {
	e := el.Value.(*cached)
	c.lru.Remove(el)
	delete(c.entries, e.session)
	c.blocks -= blocksFor(e.tokens, c.block)
}

// evictFor evicts the least recently used entries no request holds until
// need more blocks fit in in's cache; it says whether any were evicted.
func (c *prefixCache) evictFor(in *instance, need float64) bool {
	any := false
	for el := c.lru.Front(); el != nil && in.used()+need > in.blocks; {
		next := el.Next()
		if el.Value.(*cached).refs == 0 {
			c.remove(el)
			any = true
		}
		el = next
	}
	return any
}

// evictAll empties the cache of what no request holds; it says whether
// it held anything.
func (c *prefixCache) evictAll(in *instance) bool { return c.evictFor(in, in.blocks+1) }
