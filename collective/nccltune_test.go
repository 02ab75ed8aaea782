package collective

import (
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

var ncclFit = flag.Bool("nccl.fit", false, "TestNCCLCopyRateFit prints the fitted copy rates")

// ncclFitPresets and ncclFitFamily map the nccl-tests systems to their
// presets and NCCL families (as fidelity.NCCLPresets).
var ncclFitPresets = map[string]string{"h100_sxm": "hgx-h100", "h200_sxm": "hgx-h200", "b200_sxm": "hgx-b200", "gb200": "gb200-nvl72"}

// ncclFitOps maps nccl-tests' op names to cardsea's.
var ncclFitOps = map[string]Op{"all_reduce": AllReduce, "all_gather": AllGather, "reduce_scatter": ReduceScatter, "alltoall": AllToAll}

// fitPoint is one fit-half point: the measured time and, from the
// uncapped simulation, the time as an affine function of the pace, t =
// lat + slope·pace, about the pace of the last iterate.
type fitPoint struct {
	meas, lat, slope float64
	rate             float64 // scaleUpRate
	rho              float64 // own shard over what is sent: 1/(n-1)
	fill             float64 // ringPasses
	run              func(pace float64) float64
}

// TestNCCLCopyRateFit fits ncclCopyRates again, from the fit half of the
// nccl-tests points of 64 MiB and above, by the method the table's
// comments give, and fails when a figure in the table is more than 0.5%
// from its fit. Run with -nccl.fit to print the fit.
func TestNCCLCopyRateFit(t *testing.T) {
	ms, err := validation.NCCL()
	if err != nil {
		t.Fatal(err)
	}
	copyLimits, ringFills = false, false
	defer func() { copyLimits, ringFills = true, true }()
	fabrics := map[string]*network.Fabric{}
	groups := map[string]*Group{}
	points := map[[2]int][]*fitPoint{} // by family, class
	for _, m := range ms {
		if m.HeldOut() || m.Bytes < 64<<20 {
			continue
		}
		op := ncclFitOps[m.Op]
		if op == AllReduce && m.DType != "int8" {
			continue // NCCL reduces half with NVLS at these sizes
		}
		algo := Ring
		if op == AllToAll {
			algo = Direct
		}
		name := ncclFitPresets[m.System]
		f := fabrics[name]
		if f == nil {
			tp, err := topology.Load(name, 0)
			if err != nil {
				t.Fatal(err)
			}
			f = network.NewFabric(tp)
			fabrics[name] = f
		}
		key := fmt.Sprintf("%s/%d", name, m.GPUs)
		g := groups[key]
		if g == nil {
			if g, err = NewGroup(f, Placement{Ranks: m.GPUs}); err != nil {
				t.Fatal(err)
			}
			groups[key] = g
		}
		bytes := m.Bytes
		run := func(pace float64) float64 {
			out, err := Execute(g.Fabric, One(g, op, algo, bytes*pace, Options{Protocol: Simple}))
			if err != nil {
				t.Fatal(err)
			}
			return out.Results[0].TimeS
		}
		gg := g.with(Simple, op)
		fam := ncclFamilyOf(gg)
		p := &fitPoint{meas: m.TimeUS * 1e-6, rate: scaleUpRate(gg), rho: 1 / float64(m.GPUs-1), run: run}
		if classOf(op) != p2pClass {
			p.fill = ringPasses(op)
		}
		k := [2]int{int(fam), int(classOf(op))}
		points[k] = append(points[k], p)
	}
	names := map[ncclFamily]string{hopper: "hopper", blackwell: "blackwell"}
	classes := map[opClass]string{gatherClass: "gather", reduceClass: "reduce", allReduceClass: "allreduce", p2pClass: "p2p"}
	for _, fam := range []ncclFamily{hopper, blackwell} {
		var sets [][]*fitPoint
		for c := gatherClass; c < numClasses; c++ {
			ps := points[[2]int{int(fam), int(c)}]
			if len(ps) < 4 {
				t.Fatalf("%s %s: %d fit points", names[fam], classes[c], len(ps))
			}
			sets = append(sets, ps)
		}
		// The ring classes share the family's fill (Hopper's: ringPipelined); p2p has its own.
		xy, k := fitCopyRates(sets[:p2pClass], fam == hopper)
		p2p, _ := fitCopyRates(sets[p2pClass:], false)
		xy = append(xy, p2p...)
		if *ncclFit {
			t.Logf("%s: ring fill %.4g us a pass; table %.4g", names[fam], k*1e6, ringFillS[fam]*1e6)
		}
		if math.Abs(ringFillS[fam]-k) > 0.02e-6 {
			t.Errorf("%s: table ring fill %.4g us, fit %.4g", names[fam], ringFillS[fam]*1e6, k*1e6)
		}
		for c := gatherClass; c < numClasses; c++ {
			fit := copyRate{remote: 1 / xy[c][0], local: 1 / xy[c][1]}
			have := ncclCopyRates[fam][c]
			if *ncclFit {
				t.Logf("%s %s: remote %.4g GB/s, local %.4g GB/s (%d points); table %.4g, %.4g", names[fam], classes[c], fit.remote/1e9, fit.local/1e9, len(sets[c]), have.remote/1e9, have.local/1e9)
			}
			if math.Abs(have.remote/fit.remote-1) > 0.005 || math.Abs(have.local/fit.local-1) > 0.005 {
				t.Errorf("%s %s: table remote %.4g local %.4g GB/s, fit %.4g %.4g", names[fam], classes[c], have.remote/1e9, have.local/1e9, fit.remote/1e9, fit.local/1e9)
			}
		}
	}
}

// fitCopyRates returns, for each set of points, x = 1/remote and y =
// 1/local, and with fill a k (the ring fill, seconds) shared by the
// sets, minimising the sum of squared relative errors of t = lat +
// slope·pace + k·fill, pace = max(1, rate·(x + y·rho)), over every
// point, relinearising t about each iterate's pace from two uncapped
// runs.
func fitCopyRates(sets [][]*fitPoint, fill bool) (xy [][2]float64, k float64) {
	paces := make([][]float64, len(sets))
	for s, ps := range sets {
		paces[s] = make([]float64, len(ps))
		for i := range ps {
			paces[s][i] = 1.1
		}
	}
	cols := 2 * len(sets)
	if fill {
		cols++
	}
	xy = make([][2]float64, len(sets))
	for iter := 0; iter < 8; iter++ {
		var rows [][]float64
		for s, ps := range sets {
			for i, p := range ps {
				// Linearise about the current pace.
				a, b := paces[s][i], paces[s][i]*1.05
				ta, tb := p.run(a), p.run(b)
				p.slope = (tb - ta) / (b - a)
				p.lat = ta - p.slope*a
				row := make([]float64, cols+1)
				row[2*s] = p.slope * p.rate / p.meas
				row[2*s+1] = p.slope * p.rate * p.rho / p.meas
				if fill {
					row[cols-1] = p.fill / p.meas
				}
				row[cols] = (p.meas - p.lat) / p.meas
				rows = append(rows, row)
			}
		}
		sol := leastSquaresN(rows)
		for s, ps := range sets {
			xy[s] = [2]float64{sol[2*s], sol[2*s+1]}
			for i, p := range ps {
				paces[s][i] = max(1, p.rate*(sol[2*s]+sol[2*s+1]*p.rho))
			}
		}
		if fill {
			k = sol[cols-1]
		}
	}
	return xy, k
}

// leastSquaresN solves min sum (r - sum_j x_j u_j)^2 over rows (u_0 ...
// u_{m-1}, r) by the normal equations and Gaussian elimination with
// partial pivoting.
func leastSquaresN(rows [][]float64) []float64 {
	m := len(rows[0]) - 1
	a := make([][]float64, m)
	for i := range a {
		a[i] = make([]float64, m+1)
		for _, row := range rows {
			for j := range m {
				a[i][j] += row[i] * row[j]
			}
			a[i][m] += row[i] * row[m]
		}
	}
	for c := range m {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < m; r++ {
			f := a[r][c] / a[c][c]
			for j := c; j <= m; j++ {
				a[r][j] -= f * a[c][j]
			}
		}
	}
	x := make([]float64, m)
	for c := m - 1; c >= 0; c-- {
		v := a[c][m]
		for j := c + 1; j < m; j++ {
			v -= a[c][j] * x[j]
		}
		x[c] = v / a[c][c]
	}
	return x
}

// TestNCCLLatencyFit fits Hopper's NCCL 2.29 overhead and per-step
// latency again, t = overhead + steps x (step + hops), by least squares
// over the means of the fit-half H100 and H200 points of 16 KiB and
// below per op and GPU count (ring steps: n-1 for all_gather and
// reduce_scatter, 2(n-1) for all_reduce), and fails when the figures
// in nccltune.go are more than 1% from it.
func TestNCCLLatencyFit(t *testing.T) {
	ms, err := validation.NCCL()
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		op string
		n  int
	}
	sum, cnt := map[key]float64{}, map[key]int{}
	for _, m := range ms {
		if m.HeldOut() || m.Bytes > 16<<10 || (m.System != "h100_sxm" && m.System != "h200_sxm") || m.Op == "alltoall" {
			continue
		}
		k := key{m.Op, m.GPUs}
		sum[k] += m.TimeUS
		cnt[k]++
	}
	var xs, ys []float64
	for k, c := range cnt {
		steps := float64(k.n - 1)
		if k.op == "all_reduce" {
			steps *= 2
		}
		xs = append(xs, steps)
		ys = append(ys, sum[k]/float64(c))
	}
	slope, over, _ := lineFit(xs, ys)
	const hops = 0.31 // us: two NVLink hops of hgx-h100's route, switch and wire
	if *ncclFit {
		t.Logf("Hopper: overhead %.3g us, step %.3g us (%.3g with hops), %d groups", over, slope-hops, slope, len(xs))
	}
	if math.Abs(hopperOpOverhead.Seconds()*1e6/over-1) > 0.01 || math.Abs(hopperLLStep.Seconds()*1e6/(slope-hops)-1) > 0.01 {
		t.Errorf("table overhead %.3g us, step %.3g us; fit %.3g, %.3g", hopperOpOverhead.Seconds()*1e6, hopperLLStep.Seconds()*1e6, over, slope-hops)
	}
}

// TestP2PProtocol: auto runs an NCCL alltoall or send/recv with the
// protocol NCCL's send/recv picks, LL up to 16 KiB a peer and Simple
// above (never LL128), on one node and across two; a named protocol is
// run as named; HCCL's alltoall is still tuned over the protocols.
func TestP2PProtocol(t *testing.T) {
	for _, domains := range []int{0, 2} {
		f := scriptFabric(t, "hgx-h100", domains)
		g, err := NewGroup(f, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		n := float64(g.Size())
		for _, tc := range []struct {
			op    Op
			bytes float64
			want  Protocol
		}{
			{AllToAll, 16384 * n, LL},
			{AllToAll, 16384*n + n, Simple},
			{AllToAll, 1 << 30, Simple},
			{SendRecv, 16384, LL},
			{SendRecv, 16385, Simple},
		} {
			r, err := runTuned(g, tc.op, Auto, tc.bytes, Options{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if r.Protocol != tc.want {
				t.Errorf("%d domains, %s of %g B: auto ran %s, want %s", domains, tc.op, tc.bytes, r.Protocol, tc.want)
			}
		}
		if r, err := runTuned(g, AllToAll, Direct, 1<<20, Options{Protocol: LL128}, false); err != nil || r.Protocol != LL128 {
			t.Errorf("named ll128: ran %s (%v)", r.Protocol, err)
		}
	}
	f := scriptFabric(t, "cm384", 0)
	g, err := NewGroup(f, Placement{Ranks: 16, PerAccel: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := autoProtocols(g, AllToAll, 1<<20); len(got) < 2 {
		t.Errorf("HCCL alltoall: auto tries %v, want every protocol", got)
	}
}

// TestP2PFixedFit fits p2pFixed and p2pFill again from the fit-half
// alltoall points, measured less simulated time with neither, by least
// squares on the error relative to the measured time: LL (a peer's
// share at most 16 KiB), a + b (n-1) + c x share; Simple (a peer's share
// above 16 KiB, 64 MiB in all or less), a + b (n-1) + fill x min(part,
// chunk)/chunk. It fails when a, b or the fill is more than 0.02 us
// from the fit, or c more than 1%.
func TestP2PFixedFit(t *testing.T) {
	ms, err := validation.NCCL()
	if err != nil {
		t.Fatal(err)
	}
	p2pCosts, p2pFills = false, false
	defer func() { p2pCosts, p2pFills = true, true }()
	var rows [blackwell + 1][2][][4]float64 // [family][LL, Simple]: 1, n-1, share (MiB) or fill step, residual; each over the measured time
	groups := map[string]*Group{}
	for _, m := range ms {
		per := m.Bytes / float64(m.GPUs)
		if m.HeldOut() || m.Op != "alltoall" || m.Bytes >= 64<<20 {
			continue
		}
		name := ncclFitPresets[m.System]
		k := fmt.Sprintf("%s/%d", name, m.GPUs)
		g := groups[k]
		if g == nil {
			f := scriptFabric(t, name, 0)
			if g, err = NewGroup(f, Placement{Ranks: m.GPUs}); err != nil {
				t.Fatal(err)
			}
			groups[k] = g
		}
		out, err := Execute(g.Fabric, One(g, AllToAll, Direct, m.Bytes, Options{}))
		if err != nil {
			t.Fatal(err)
		}
		fam := ncclFamilyOf(g)
		w := 1 / m.TimeUS
		r := (m.TimeUS - out.Results[0].TimeS*1e6) * w
		x := per / (1 << 20)
		proto := 0
		if per > 16<<10 {
			proto = 1
			parts := p2pPeerChannels(per, p2pMinPart, 32*p2pNVLChunk, p2pChannelsMin(m.GPUs), p2pNChannels)
			x = math.Min(per/float64(parts), p2pNVLChunk) / p2pNVLChunk
		}
		rows[fam][proto] = append(rows[fam][proto], [4]float64{w, float64(m.GPUs-1) * w, x * w, r})
	}
	for _, fam := range []ncclFamily{hopper, blackwell} {
		ll, simple := leastSquares3(rows[fam][0]), leastSquares3(rows[fam][1])
		if *ncclFit {
			t.Logf("family %d LL: a %.3f us, b %.3f us per peer, c %.4g us a MiB (%d points)", fam, ll[0], ll[1], ll[2], len(rows[fam][0]))
			t.Logf("family %d Simple: a %.3f us, b %.3f us per peer, fill %.3f us (%d points)", fam, simple[0], simple[1], simple[2], len(rows[fam][1]))
		}
		if c := p2pFixed[fam][0]; math.Abs(c.a-ll[0]) > 0.02 || math.Abs(c.b-ll[1]) > 0.02 || math.Abs(c.c/ll[2]-1) > 0.01 {
			t.Errorf("family %d LL: table a %.3f, b %.3f, c %.4g; fit %.3f, %.3f, %.4g", fam, c.a, c.b, c.c, ll[0], ll[1], ll[2])
		}
		if c := p2pFixed[fam][1]; math.Abs(c.a-simple[0]) > 0.02 || math.Abs(c.b-simple[1]) > 0.02 || c.c != 0 || math.Abs(p2pFill[fam]-simple[2]) > 0.02 {
			t.Errorf("family %d Simple: table a %.3f, b %.3f, c %g, fill %.3f; fit %.3f, %.3f, 0, %.3f", fam, c.a, c.b, c.c, p2pFill[fam], simple[0], simple[1], simple[2])
		}
	}
}

// leastSquares3 solves min sum (r - x0 u0 - x1 u1 - x2 u2)^2 over rows
// (u0, u1, u2, r) by the normal equations and Cramer's rule.
func leastSquares3(rows [][4]float64) [3]float64 {
	var m [3][3]float64
	var v [3]float64
	for _, row := range rows {
		for i := range 3 {
			v[i] += row[i] * row[3]
			for j := range 3 {
				m[i][j] += row[i] * row[j]
			}
		}
	}
	det := func(a [3][3]float64) float64 {
		return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	}
	d := det(m)
	var x [3]float64
	for k := range 3 {
		a := m
		for i := range 3 {
			a[i][k] = v[i]
		}
		x[k] = det(a) / d
	}
	return x
}

// lineFit is the least-squares line through (xs, ys): its slope and
// intercept, and the mean of ys.
func lineFit(xs, ys []float64) (slope, intercept, meanY float64) {
	var mx, my float64
	for i := range xs {
		mx += xs[i] / float64(len(xs))
		my += ys[i] / float64(len(ys))
	}
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	slope = sxy / sxx
	return slope, my - slope*mx, my
}

// TestP2PPeerChannels checks NCCL 2.29's split of a send to one peer
// over p2p channels (src/enqueue.cc addP2pToPlan) on worked cases: in
// one node (parts of 64 KiB to 16 MiB, 8 GPUs of 32 p2p channels:
// nChannelsMin 4, nChannelsMax 32) and across nodes (64 to 128 KiB),
// and that p2pOverhead charges LL's share on its one channel at
// p2pFixed's c and Simple's first step at p2pFill.
func TestP2PPeerChannels(t *testing.T) {
	const k, m = 1 << 10, 1 << 20
	for _, tc := range []struct {
		bytes, minPart, maxPart float64
		lo, hi, want            int
	}{
		{0, 64 * k, 16 * m, 4, 32, 1},
		{16 * k, 64 * k, 16 * m, 4, 32, 1},
		{64 * k, 64 * k, 16 * m, 4, 32, 1},
		{64*k + 1, 64 * k, 16 * m, 4, 32, 2},
		{256 * k, 64 * k, 16 * m, 4, 32, 4},
		{2 * m, 64 * k, 16 * m, 4, 32, 4},
		{64 * m, 64 * k, 16 * m, 4, 32, 4},
		{128 * m, 64 * k, 16 * m, 4, 32, 8},
		{2048 * m, 64 * k, 16 * m, 4, 32, 32},
		{1 * m, 64 * k, 128 * k, 2, 8, 8},
		{1 * m, 64 * k, 128 * k, 2, 4, 4},
	} {
		if got := p2pPeerChannels(tc.bytes, tc.minPart, tc.maxPart, tc.lo, tc.hi); got != tc.want {
			t.Errorf("%g B, parts %g-%g, channels %d-%d: %d channels, want %d", tc.bytes, tc.minPart, tc.maxPart, tc.lo, tc.hi, got, tc.want)
		}
	}
	g, err := NewGroup(scriptFabric(t, "hgx-b200", 0), Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	g.nccl = true
	d := p2pOverhead(g, AllToAll, LL, 8*16*k) - p2pOverhead(g, AllToAll, LL, 8*8*k)
	if want := p2pFixed[blackwell][0].c * 8 * k / m; math.Abs(d.Seconds()*1e6-want) > 1e-3 {
		t.Errorf("LL: 8 KiB more a peer costs %.4f us, want %.4f", d.Seconds()*1e6, want)
	}
	// 8 ranks: 4 channels a peer; 1 MiB in all is two parts of 64 KiB a
	// peer, 64 MiB two chunks and more a part: an eighth of the fill, then
	// all of it.
	d = p2pOverhead(g, AllToAll, Simple, 64*m) - p2pOverhead(g, AllToAll, Simple, 1*m)
	if want := p2pFill[blackwell] * 7 / 8; math.Abs(d.Seconds()*1e6-want) > 1e-3 {
		t.Errorf("Simple: 64 MiB costs %.4f us more than 1 MiB, want %.4f", d.Seconds()*1e6, want)
	}
	if p2pOverhead(g, AllReduce, LL, 64*k) != 0 {
		t.Error("all-reduce paid a p2p cost")
	}
}

// TestRingFill: a Hopper Simple ring in one NVLink domain pays the op
// overhead and one ringFillS a pass round the ring (two for all-reduce),
// and no per-step latency; LL, NVLS, Blackwell and a ring across
// domains keep the presets' step latencies and pay no fill.
func TestRingFill(t *testing.T) {
	g, err := NewGroup(scriptFabric(t, "hgx-h100", 0), Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op   Op
		algo Algorithm
		want float64 // fills
	}{
		{AllReduce, Ring, 2}, {AllGather, Ring, 1}, {ReduceScatter, Ring, 1}, {AllReduce, Tree, 2},
	} {
		p, err := Compile(g, tc.op, tc.algo, 1<<30, Options{Protocol: Simple})
		if err != nil {
			t.Fatal(err)
		}
		want := hopperOpOverhead + sim.FromSeconds(tc.want*ringFillS[hopper])
		if p.Overhead != want {
			t.Errorf("%s %s: overhead %v, want %v", tc.op, tc.algo, p.Overhead, want)
		}
		gg := g.with(Simple, tc.op)
		gg.ncclLatencies(tc.op, Simple, tc.algo)
		for r, a := range gg.alpha {
			if a != 0 {
				t.Errorf("%s %s: rank %d step latency %v, want 0", tc.op, tc.algo, r, a)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		g     *Group
		op    Op
		algo  Algorithm
		proto Protocol
	}{
		{"ll", g, AllReduce, Ring, LL},
		{"nvls", g, AllReduce, NVLS, Simple},
		{"alltoall", g, AllToAll, Direct, Simple},
	} {
		if d := ringFill(tc.g.with(tc.proto, tc.op), tc.op, tc.algo, tc.proto); d != 0 {
			t.Errorf("%s: fill %v, want 0", tc.name, d)
		}
	}
	b, err := NewGroup(scriptFabric(t, "hgx-b200", 0), Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	if d := ringFill(b.with(Simple, AllReduce), AllReduce, Ring, Simple); d != 0 {
		t.Errorf("b200: fill %v, want 0", d)
	}
	x, err := NewGroup(scriptFabric(t, "hgx-h100", 2), Placement{})
	if err != nil {
		t.Fatal(err)
	}
	if d := ringFill(x.with(Simple, AllReduce), AllReduce, Ring, Simple); d != 0 {
		t.Errorf("across domains: fill %v, want 0", d)
	}
}
