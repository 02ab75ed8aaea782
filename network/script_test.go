package network

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/internal/script"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// TestScripts runs testdata/*.txt (see internal/script); -rewrite writes
// the actual output into them. Commands:
//
//	fabric <topology> [ideal]    build a fabric (script.Topology's
//	                             arguments); ideal strips link efficiency
//	                             and every latency, for closed forms
//	channels [from=NODE]         list channels, or those leaving NODE
//	route from=NODE to=NODE      a route's channels, shares and latency
//	flow from=NODE to=NODE bytes=SIZE [at=T]
//	                             add a flow to the next run
//	run                          run the flows on a fresh network: every
//	                             change of the rates, then each flow's
//	                             times and mean rate
//	stats                        the last run's per-channel statistics
//	reset                        forget the flows
//
// NODE is a topology node name (acc0, d1.acc3, sw0); times print in
// microseconds, rates in GB/s, with fixed digits.
func TestScripts(t *testing.T) {
	script.RunDir(t, "testdata", func(t *testing.T) script.Handler {
		s := &netScript{}
		return s.do
	})
}

type scriptFlow struct {
	src, dst topology.NodeID
	bytes    float64
	at       sim.Time

	started, sent, arrived sim.Time
}

type netScript struct {
	f     *Fabric
	names map[string]topology.NodeID
	flows []*scriptFlow
	net   *Network
	sim   *sim.Simulator

	// rate changes of the last run: one line per time, the rates of every
	// flow moving bytes once all changes at that time are made.
	timeline []rateLine
	probing  bool
}

type rateLine struct {
	at    sim.Time
	rates string
}

func us(t sim.Time) string { return fmt.Sprintf("%.4f us", t.Seconds()*1e6) }

func gbps(r float64) string { return fmt.Sprintf("%.3f GB/s", r/1e9) }

func (s *netScript) node(c *script.Command, key string) (topology.NodeID, error) {
	name := c.Need(key)
	id, ok := s.names[name]
	if !ok {
		return 0, fmt.Errorf("no node %q in %s", name, s.f.Topo.Name)
	}
	return id, nil
}

func (s *netScript) do(c *script.Command) (string, error) {
	if c.Name != "fabric" && s.f == nil {
		return "", script.Usage("%s before fabric", c.Name)
	}
	var b strings.Builder
	switch c.Name {
	case "fabric":
		ideal := c.Has("ideal")
		top, err := script.Topology(c)
		if err != nil {
			return "", err
		}
		s.f = NewFabric(top)
		s.flows, s.net = nil, nil
		if ideal {
			for i := range s.f.chans {
				s.f.chans[i].BytesPerS = s.f.chans[i].RawBytesPerS
				s.f.chans[i].LatencyS = 0
			}
			for i := range s.f.switchLat {
				s.f.switchLat[i] = 0
			}
		}
		s.names = map[string]topology.NodeID{}
		for id, n := range top.Nodes {
			s.names[n.Name] = topology.NodeID(id)
		}
		classes, members := 0, 0
		for v := range s.f.Vertices() {
			if top.Nodes[s.f.members[v][0]].Kind == topology.KindSwitch {
				classes++
				members += len(s.f.members[v])
			}
		}
		fmt.Fprintf(&b, "%s: %d nodes, %d links -> %d vertices, %d channels\n", top.Name, len(top.Nodes), len(top.Links), s.f.Vertices(), len(s.f.chans))
		fmt.Fprintf(&b, "dies %d, switch chips %d in %d classes", len(top.Dies()), members, classes)
	case "channels":
		from := topology.NodeID(-1)
		if c.Has("from") {
			var err error
			if from, err = s.node(c, "from"); err != nil {
				return "", err
			}
		}
		for i, ch := range s.f.chans {
			if from >= 0 && ch.From != s.f.Vertex(from) {
				continue
			}
			fmt.Fprintf(&b, "c%d %s: %s (raw %s), lanes %d, latency %.0f ns\n", i, s.f.ChannelName(i), gbps(ch.BytesPerS), gbps(ch.RawBytesPerS), ch.Lanes, ch.LatencyS*1e9)
		}
	case "route":
		src, err := s.node(c, "from")
		if err != nil {
			return "", err
		}
		dst, err := s.node(c, "to")
		if err != nil {
			return "", err
		}
		r, err := s.f.route(s.f.Vertex(src), s.f.Vertex(dst))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d hops, latency %.1f ns, %d channels\n", r.hops, r.latency*1e9, len(r.shares))
		for _, sh := range r.shares {
			fmt.Fprintf(&b, "  c%d %s: %.4f\n", sh.ch, s.f.ChannelName(int(sh.ch)), sh.frac)
		}
	case "flow":
		src, err := s.node(c, "from")
		if err != nil {
			return "", err
		}
		dst, err := s.node(c, "to")
		if err != nil {
			return "", err
		}
		fl := &scriptFlow{src: src, dst: dst, bytes: c.Bytes("bytes", 0), at: sim.FromSeconds(c.Duration("at", 0))}
		s.flows = append(s.flows, fl)
		fmt.Fprintf(&b, "f%d: %s -> %s, %g bytes at %s", len(s.flows)-1, s.f.Topo.Nodes[src].Name, s.f.Topo.Nodes[dst].Name, fl.bytes, us(fl.at))
	case "run":
		if err := s.run(); err != nil {
			return "", err
		}
		for _, l := range s.timeline {
			fmt.Fprintf(&b, "%14s  %s\n", us(l.at), l.rates)
		}
		for i, fl := range s.flows {
			mean := 0.0
			if d := (fl.sent - fl.started).Seconds(); d > 0 {
				mean = fl.bytes / d
			}
			fmt.Fprintf(&b, "f%d: start %s, sent %s, arrived %s, mean %s\n", i, us(fl.started), us(fl.sent), us(fl.arrived), gbps(mean))
		}
	case "stats":
		if s.net == nil {
			return "", script.Usage("stats before run")
		}
		for i, st := range s.net.Stats() {
			if st.Bytes == 0 {
				continue
			}
			fmt.Fprintf(&b, "c%d %s: %.6g bytes, busy %s, peak %.4f\n", i, s.f.ChannelName(i), st.Bytes, us(st.Busy), st.PeakUtil)
		}
	case "reset":
		s.flows, s.net = nil, nil
	default:
		return "", script.Usage("unknown command %q", c.Name)
	}
	return b.String(), nil
}

// run runs the flows on a fresh network.
func (s *netScript) run() error {
	s.sim = sim.New()
	s.net = New(s.f, s.sim)
	s.timeline = nil
	routes := make([]*Route, len(s.flows))
	for i, fl := range s.flows {
		r, err := s.f.Route(s.f.Vertex(fl.src), s.f.Vertex(fl.dst))
		if err != nil {
			return err
		}
		routes[i] = r
	}
	for i, fl := range s.flows {
		fl.started, fl.sent, fl.arrived = -1, -1, -1
		s.sim.Schedule(fl.at, func(now sim.Time) {
			fl.started = now
			s.net.StartFlow(routes[i], fl.bytes, s, int64(i))
			s.probe()
		})
	}
	s.sim.Run()
	for i, fl := range s.flows {
		if fl.arrived < 0 {
			return fmt.Errorf("f%d never arrived", i)
		}
	}
	return nil
}

// FlowSent implements FlowHandler.
func (s *netScript) FlowSent(tag int64, now sim.Time) {
	s.flows[tag].sent = now
	s.probe()
}

// FlowArrived implements FlowHandler.
func (s *netScript) FlowArrived(tag int64, now sim.Time) {
	s.flows[tag].arrived = now
}

// probe notes the rates once every change at this time is made: after the
// solve the network has pending, if any.
func (s *netScript) probe() {
	if s.probing {
		return
	}
	s.probing = true
	var check func(now sim.Time)
	check = func(now sim.Time) {
		if s.net.solvePending {
			s.sim.Schedule(now, check)
			return
		}
		s.probing = false
		var parts []string
		for i, fl := range s.flows {
			if fl.started < 0 || fl.sent >= 0 {
				continue
			}
			// Flow IDs are handed out in start order and not reused
			// before a flow arrives; find this flow's by its handler tag.
			for id := range s.net.flows {
				f := &s.net.flows[id]
				if f.live && f.h == s && f.tag == int64(i) {
					parts = append(parts, fmt.Sprintf("f%d %s", i, gbps(f.rate)))
				}
			}
		}
		line := strings.Join(parts, ", ")
		if line == "" {
			line = "idle"
		}
		if k := len(s.timeline); k > 0 && s.timeline[k-1].rates == line {
			return
		}
		if k := len(s.timeline); k > 0 && s.timeline[k-1].at == now {
			s.timeline[k-1].rates = line
			return
		}
		s.timeline = append(s.timeline, rateLine{now, line})
	}
	s.sim.Schedule(s.sim.Now(), check)
}
