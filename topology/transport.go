package topology

import (
	"fmt"
	"strings"
)

// Transports of a scale-out network: what its frames carry and who makes
// its switches. A topology file names the transport its scale-out figures
// were measured on (scale_out.transport); LoadOptions.Transport runs the
// same network on the other one.
//
// The achievable share of the line rate differs by the frame: a 4,096-byte
// RDMA payload (the MTU NCCL's IB and RoCE transports use) travels as
//
//	InfiniBand  LRH 8 + BTH 12 + ICRC 4 + VCRC 2                 = 26 bytes more
//	RoCE v2     preamble and gap 20 + Ethernet 14 + FCS 4
//	            + IPv4 20 + UDP 8 + BTH 12 + ICRC 4              = 82 bytes more
//
// (InfiniBand Architecture Specification vol. 1, packet formats; RoCE v2
// annex A17: the IB transport headers over UDP/IP over Ethernet, IEEE
// 802.3 framing), so RoCE delivers 4096/4178 of the rate where InfiniBand
// delivers 4096/4122: 0.9866 of InfiniBand's payload share. Both carry
// 400 Gb/s of data per 400G port after line coding. Link efficiencies in
// a file are NCCL's measured share on its transport (most on InfiniBand,
// e.g. 46 of 50 GB/s per NDR NIC); another transport scales them by the
// ratio of the two payload shares. What the frame does not change (the
// NCCL proxy's latency, the switch's ports and rate) stays; the switch
// chips take the other transport's name. Congestion control and routing
// (PFC and ECN on RoCE, adaptive routing on both NVIDIA fabrics) are not
// modelled: paths are shared by max-min fairness on either transport.
type transport struct {
	name    string
	payload float64 // share of the line rate a 4,096-byte payload gets
	chip    string  // what the switch chips are, by transport
	nic     string
}

var transports = []transport{
	{"infiniband", 4096.0 / (4096 + 26), "InfiniBand switch", "InfiniBand"},
	{"roce", 4096.0 / (4096 + 82), "Ethernet switch (RoCE v2)", "RoCE"},
}

// Transports lists the transport names.
func Transports() []string {
	out := make([]string, len(transports))
	for i, t := range transports {
		out[i] = t.name
	}
	return out
}

func transportNamed(s string) (transport, bool) {
	for _, t := range transports {
		if strings.EqualFold(s, t.name) {
			return t, true
		}
	}
	return transport{}, false
}

// retransport runs the scale-out network of cs on transport to: the link
// efficiencies scaled by the ratio of the payload shares, the leaf and
// spine chips and the NICs renamed for it. cs must name its own.
func (cs *ClusterSpec) retransport(to string) error {
	so := cs.ScaleOut
	if so == nil {
		return fmt.Errorf("scale-out transport %s: %s has no scale-out network", to, cs.Name)
	}
	dst, ok := transportNamed(to)
	if !ok {
		return fmt.Errorf("scale-out transport %q: want %s", to, strings.Join(Transports(), " or "))
	}
	if so.Transport == "" {
		return fmt.Errorf("scale-out transport %s: %s does not say which transport its scale-out figures are for (scale_out.transport), so they cannot be carried to another", to, cs.Name)
	}
	src, _ := transportNamed(so.Transport)
	if src.name == dst.name {
		return nil
	}
	r := dst.payload / src.payload
	for _, l := range []*LinkSpec{&so.NICLink, &so.Uplink} {
		e := l.Efficiency
		if e == 0 {
			e = 1
		}
		l.Efficiency = e * r
	}
	renamed := map[*SwitchSpec]*SwitchSpec{}
	for _, sw := range []**SwitchSpec{&so.Leaf, &so.Spine} {
		if *sw == nil {
			continue
		}
		c, ok := renamed[*sw]
		if !ok {
			cp := **sw
			cp.Name = fmt.Sprintf("%s (%d x %gG), in place of %s", dst.chip, cp.Ports, cp.PortBytesPerS*8/1e9, cp.Name)
			c = &cp
			renamed[*sw] = c
		}
		*sw = c
	}
	if n := cs.Domain.NIC; n != nil {
		cp := *n
		cp.Name = fmt.Sprintf("%s (%s)", n.Name, dst.nic)
		cs.Domain.NIC = &cp
	}
	so.Transport = dst.name
	return nil
}
