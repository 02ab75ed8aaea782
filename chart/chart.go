package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/units"
)

// Format is an output image format.
type Format string

// Image formats.
const (
	SVG Format = "svg"
	PNG Format = "png"
)

// FormatOf picks the image format from a file name's extension.
func FormatOf(path string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		return SVG, nil
	case ".png":
		return PNG, nil
	case "":
		return "", fmt.Errorf("%q has no extension; want .svg or .png", path)
	default:
		return "", fmt.Errorf("unknown output extension %q in %q; want .svg or .png", ext, path)
	}
}

// margin is the white space around the chart.
const margin vg.Length = 6

// Default image size, in points.
const (
	DefaultWidth  vg.Length = 540
	DefaultHeight vg.Length = 300
)

// Spec says what to chart.
type Spec struct {
	// Title is drawn above the chart (optional).
	Title string
	// X and Y are column names; their SI suffix sets the axis unit.
	X, Y string
	// Series columns split the records into lines, named by the columns'
	// values (joined by ", ") in order of first appearance.
	Series []string
	// SeriesPrefix, per series column, goes before its value in names
	// (e.g. "price=").
	SeriesPrefix map[string]string
	// LogX and LogY draw logarithmic axes (values must be above 0).
	LogX, LogY bool
	// CategoricalX draws a non-numeric X column as evenly spaced
	// categories in order of first appearance, as points (as bars with
	// Bars); without it a non-numeric X value is an error.
	CategoricalX bool
	// Bars draws X as categories (numbers too, in order of first
	// appearance) and each series' value at a category as a bar, the
	// series side by side: a comparison of systems, not a curve through
	// them. Where a series has two values at one category, or with LogY,
	// it draws points instead.
	Bars bool
	// Points draws points only; otherwise each series' points are joined
	// in X order where X is numeric and no series repeats an X value.
	Points bool
	// Width and Height of the image (default DefaultWidth, DefaultHeight).
	Width, Height vg.Length
}

// The fonts, set explicitly: Liberation Sans is embedded in gonum/plot, so
// text measures the same on every machine; in SVG its name falls back to
// the metric-compatible Arial and Helvetica.
var (
	sans         = font.Font{Typeface: "Liberation", Variant: "Sans"}
	fontFamily   = "font-family:Liberation Sans;"
	fontFallback = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"
)

// palette: distinct colours that survive greyscale printing reasonably.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

var shapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
	draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

type series struct {
	name string
	pts  plotter.XYs
}

// chart is a checked spec with its data scaled to display units.
type chart struct {
	spec       Spec
	series     []series
	x, y       Axis
	categories []string // X categories, if the X column is not numeric
	bytesTicks bool     // X is a log byte axis labelled tick by tick
	lines      bool     // join each series' points
	// categorical says the X column is categories, not numbers.
	categorical bool
	// bars draws each point as a bar from the axis (Spec.Bars).
	bars bool
}

// Render draws the chart in format f. It checks the columns and values
// first; a failure returns an error and no image.
func Render(d *Data, s Spec, f Format) ([]byte, error) {
	c, err := prepare(d, s)
	if err != nil {
		return nil, err
	}
	return c.render(f)
}

func prepare(d *Data, s Spec) (*chart, error) {
	xi, yi, si, err := d.columns(s)
	if err != nil {
		return nil, err
	}
	c, xs, ys, err := collect(d, s, xi, yi, si)
	if err != nil {
		return nil, err
	}
	c.axes(d, s, xs, ys)
	return c, nil
}

// columns finds the spec's X, Y and series columns in d.
func (d *Data) columns(s Spec) (xi, yi int, si []int, err error) {
	if xi, err = d.Column(s.X); err != nil {
		return 0, 0, nil, err
	}
	if yi, err = d.Column(s.Y); err != nil {
		return 0, 0, nil, err
	}
	for _, name := range s.Series {
		i, err := d.Column(name)
		if err != nil {
			return 0, 0, nil, err
		}
		si = append(si, i)
	}
	return xi, yi, si, nil
}

// collect reads every record's point into its series (categories for a
// non-numeric X with CategoricalX), and all X and Y values.
func collect(d *Data, s Spec, xi, yi int, si []int) (c *chart, xs, ys []float64, err error) {
	c = &chart{spec: s}
	// Is X numeric? With CategoricalX a non-numeric column is categories.
	categorical := s.Bars
	if s.CategoricalX && !categorical {
		for _, r := range d.Rows {
			if _, _, err := number(r[xi]); err != nil {
				categorical = true
				break
			}
		}
	}
	catIndex := map[string]int{}
	index := map[string]int{}
	for r, row := range d.Rows {
		var x float64
		if categorical {
			if row[xi] == nil || text(row[xi]) == "" {
				continue
			}
			t := formatValue(s.X, row[xi])
			k, ok := catIndex[t]
			if !ok {
				k = len(c.categories)
				catIndex[t] = k
				c.categories = append(c.categories, t)
			}
			x = float64(k)
		} else {
			v, ok, err := number(row[xi])
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: column %s (x): %v", d.where(r), s.X, err)
			}
			if !ok {
				continue
			}
			if err := checkValue(v, s.LogX, "X"); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: column %s (x): %v", d.where(r), s.X, err)
			}
			x = v
		}
		y, ok, err := number(row[yi])
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: column %s (y): %v", d.where(r), s.Y, err)
		}
		if !ok {
			continue
		}
		if err := checkValue(y, s.LogY, "Y"); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: column %s (y): %v", d.where(r), s.Y, err)
		}
		var parts []string
		for k, i := range si {
			parts = append(parts, s.SeriesPrefix[s.Series[k]]+formatValue(s.Series[k], row[i]))
		}
		name := strings.Join(parts, ", ")
		k, ok := index[name]
		if !ok {
			k = len(c.series)
			index[name] = k
			c.series = append(c.series, series{name: name})
		}
		c.series[k].pts = append(c.series[k].pts, plotter.XY{X: x, Y: y})
		xs = append(xs, x)
		ys = append(ys, y)
	}
	if len(xs) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no record has both %s and %s", d.source(), s.X, s.Y)
	}
	c.categorical = categorical
	return c, xs, ys, nil
}

// axes chooses both axes from the values and the column hints, and scales
// and orders every series' points for them.
func (c *chart) axes(d *Data, s Spec, xs, ys []float64) {
	categorical := c.categorical
	hint := func(col string) *report.Column {
		if h, ok := d.Hints[col]; ok {
			return &h
		}
		return nil
	}
	if categorical {
		c.x = Axis{Label: capitalize(s.X), Scale: 1}
		if h := hint(s.X); h != nil && h.Header != "" {
			c.x.Label = h.Header
		}
	} else {
		c.x = AxisFor(s.X, xs, s.LogX, hint(s.X))
		lo, hi := span(xs)
		if c.x.Kind == Bytes && s.LogX && hi/lo > 1<<20 {
			// Sizes over six binary orders: each tick names its own unit.
			name, k := Parse(s.X)
			c.x = Axis{Label: capitalize(hintedName(name, k, hint(s.X))), Scale: 1, Kind: Bytes}
			c.bytesTicks = true
		}
	}
	c.y = AxisFor(s.Y, ys, s.LogY, hint(s.Y))
	c.lines = !s.Points && !categorical
	c.bars = s.Bars && !s.LogY && !s.Points
	for i := range c.series {
		pts := c.series[i].pts
		seen := map[float64]bool{}
		for _, p := range pts {
			if seen[p.X] {
				c.lines, c.bars = false, false
			}
			seen[p.X] = true
		}
		for j := range pts {
			if !categorical {
				pts[j].X /= c.x.Scale
			}
			pts[j].Y /= c.y.Scale
		}
		if !categorical {
			sort.SliceStable(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		}
	}
}

func checkValue(v float64, log bool, axis string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%v cannot be drawn", v)
	}
	if log && v <= 0 {
		return fmt.Errorf("%v on a log %s axis; a log axis needs values above 0", v, axis)
	}
	return nil
}

func span(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func (c *chart) render(f Format) ([]byte, error) {
	s := c.spec
	w, h := s.Width, s.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	var canvas vg.CanvasWriterTo
	switch f {
	case SVG:
		canvas = vgsvg.New(w, h)
	case PNG:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144))}
	default:
		return nil, fmt.Errorf("chart: unknown format %q; want svg or png", f)
	}
	p, leg := c.plot()
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	dc = draw.Crop(dc, margin, -margin, margin, -margin)
	if s.Title != "" {
		// The title centres on the whole image, legend included.
		sty := p.Title.TextStyle
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y}, s.Title)
		r := sty.Rectangle(s.Title)
		dc = draw.Crop(dc, 0, 0, 0, -(r.Max.Y - r.Min.Y + p.Title.Padding))
	}
	pc := dc
	if leg == nil {
		p.Draw(pc)
	} else {
		// The legend goes right of the plot, never over the data.
		r := leg.Rectangle(dc)
		lw := r.Max.X - r.Min.X
		pc = draw.Crop(dc, 0, -(lw + vg.Points(8)), 0, 0)
		p.Draw(pc)
		leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw, 0, 0, 0))
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	if f == SVG {
		data := p.DataCanvas(pc)
		out := bytes.ReplaceAll(buf.Bytes(), []byte(fontFamily), []byte(fontFallback))
		return c.hover(out, p, &data), nil
	}
	return buf.Bytes(), nil
}

// hover gives every point or bar of an SVG chart its values on hover: a
// transparent shape over it holding a <title> (the series, the X value
// and the Y value in the axes' units), the last element of the flipped
// group the plot draws in, so it sits on top.
func (c *chart) hover(svg []byte, p *plot.Plot, data *draw.Canvas) []byte {
	const end = "</g>\n</svg>"
	at := bytes.LastIndex(svg, []byte(end))
	if at < 0 {
		return svg
	}
	tx, ty := p.Transforms(data)
	var b bytes.Buffer
	b.WriteString("<g class=\"hover\" style=\"fill:#000;fill-opacity:0\">\n")
	for i, sr := range c.series {
		var boxes []box
		if c.bars {
			boxes = c.barBoxes(i)
		}
		for j, pt := range sr.pts {
			title := c.hoverText(sr.name, pt)
			if boxes != nil {
				bx := boxes[j]
				x0, x1 := float64(tx(bx.x0)), float64(tx(bx.x1))
				y0, y1 := float64(ty(bx.y0)), float64(ty(bx.y1))
				fmt.Fprintf(&b, "<rect x=\"%.5g\" y=\"%.5g\" width=\"%.5g\" height=\"%.5g\"><title>%s</title></rect>\n",
					x0, min(y0, y1), x1-x0, math.Abs(y1-y0), title)
				continue
			}
			fmt.Fprintf(&b, "<circle cx=\"%.5g\" cy=\"%.5g\" r=\"5\"><title>%s</title></circle>\n", float64(tx(pt.X)), float64(ty(pt.Y)), title)
		}
	}
	b.WriteString("</g>\n")
	out := append([]byte{}, svg[:at]...)
	out = append(out, b.Bytes()...)
	return append(out, svg[at:]...)
}

// hoverText is a point's tooltip, XML-escaped: the series on the first
// line, then each axis' name with the point's value in its unit.
func (c *chart) hoverText(series string, pt plotter.XY) string {
	var x string
	switch {
	case c.categorical:
		x = c.categories[int(pt.X)]
	case c.bytesTicks:
		x = units.FormatBytesBinary(pt.X)
	default:
		x = hoverValue(pt.X)
	}
	lines := []string{c.x.Label + ": " + x, c.y.Label + ": " + hoverValue(pt.Y)}
	if series != "" {
		lines = append([]string{series}, lines...)
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(strings.Join(lines, "\n")))
	return b.String()
}

// hoverValue shows a value to 4 significant digits, without an exponent
// below a trillion or trailing zeros.
func hoverValue(v float64) string {
	a := math.Abs(v)
	if a == 0 || a >= 1e12 || a < 1e-6 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	digits := max(0, 3-int(math.Floor(math.Log10(a))))
	t := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(t, ".") {
		t = strings.TrimRight(strings.TrimRight(t, "0"), ".")
	}
	return t
}

// plot builds the plot and, for more than one named series, its legend.
func (c *chart) plot() (*plot.Plot, *plot.Legend) {
	s := c.spec
	p := plot.New()
	p.Title.TextStyle.Font = font.From(sans, 12)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10)
		a.Tick.Label.Font = font.From(sans, 9)
		a.Padding = vg.Points(4)
	}
	p.X.Label.Text = c.x.Label
	p.Y.Label.Text = c.y.Label

	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	grid.Vertical.Width = vg.Points(0.5)
	grid.Horizontal.Width = vg.Points(0.5)
	p.Add(grid)

	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(sans, 9)
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = vg.Points(18)
	leg.Padding = vg.Points(2)
	named := false
	for i, sr := range c.series {
		col := palette[i%len(palette)]
		if c.bars {
			var thumb plot.Thumbnailer
			for _, b := range c.barBoxes(i) {
				pg, _ := plotter.NewPolygon(plotter.XYs{{X: b.x0, Y: b.y0}, {X: b.x1, Y: b.y0}, {X: b.x1, Y: b.y1}, {X: b.x0, Y: b.y1}})
				pg.Color = col
				pg.LineStyle.Width = 0
				p.Add(pg)
				thumb = pg
			}
			name := sr.name
			if r := []rune(name); len(r) > 40 {
				name = string(r[:39]) + "…"
			}
			named = named || name != ""
			if thumb != nil {
				leg.Add(name, thumb)
			}
			continue
		}
		sc, _ := plotter.NewScatter(sr.pts)
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2.5), Shape: shapes[i%len(shapes)]}
		thumbs := []plot.Thumbnailer{sc}
		if c.lines && len(sr.pts) > 1 {
			ln, _ := plotter.NewLine(sr.pts)
			ln.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.5)}
			p.Add(ln)
			thumbs = append([]plot.Thumbnailer{ln}, sc)
		}
		p.Add(sc)
		name := sr.name
		if r := []rune(name); len(r) > 40 {
			name = string(r[:39]) + "…"
		}
		named = named || name != ""
		leg.Add(name, thumbs...)
	}

	// X axis.
	xlo, xhi, ylo, yhi := bounds(c.series)
	switch {
	case c.categories != nil:
		ticks := make([]plot.Tick, len(c.categories))
		long := false
		for i, t := range c.categories {
			if r := []rune(t); len(r) > 24 {
				t = string(r[:23]) + "…"
			}
			ticks[i] = plot.Tick{Value: float64(i), Label: t}
			long = long || len([]rune(t)) > 6
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(c.categories))-0.5
		if long && len(c.categories) > 3 {
			p.X.Tick.Label.Rotation = math.Pi / 6
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	case s.LogX:
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = logRange(xlo, xhi)
		p.X.Tick.Marker = logTicker(c.x, c.bytesTicks)
	default:
		p.X.Tick.Marker = linearTicker{}
		p.X.Min, p.X.Max = xlo, xhi
	}
	// Y axis: linear axes start at zero so bars of different series compare.
	if s.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Min, p.Y.Max = logRange(ylo, yhi)
		p.Y.Tick.Marker = logTicker(c.y, false)
	} else {
		p.Y.Tick.Marker = linearTicker{}
		p.Y.Min, p.Y.Max = min(0, ylo), max(0, yhi)
		if p.Y.Min == p.Y.Max {
			p.Y.Max = 1
		}
		// Headroom so the top point is not on the frame.
		p.Y.Max += (p.Y.Max - p.Y.Min) * 0.05
	}
	if !named || len(c.series) < 2 && c.series[0].name == "" {
		return p, nil
	}
	return p, &leg
}

// barWidth is the share of a category's width its bars fill together.
const barWidth = 0.8

// box is a bar in data coordinates (display units).
type box struct{ x0, x1, y0, y1 float64 }

// barBoxes are series i's bars: at category k, the i-th of len(series)
// side-by-side bars from zero to the value.
func (c *chart) barBoxes(i int) []box {
	n := float64(len(c.series))
	w := barWidth / n
	var out []box
	for _, pt := range c.series[i].pts {
		x0 := pt.X - barWidth/2 + float64(i)*w
		out = append(out, box{x0: x0, x1: x0 + w, y0: min(0, pt.Y), y1: max(0, pt.Y)})
	}
	return out
}

func bounds(ss []series) (xlo, xhi, ylo, yhi float64) {
	xlo, ylo = math.Inf(1), math.Inf(1)
	xhi, yhi = math.Inf(-1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.pts {
			xlo, xhi = min(xlo, p.X), max(xhi, p.X)
			ylo, yhi = min(ylo, p.Y), max(yhi, p.Y)
		}
	}
	return
}

// logRange widens a log axis slightly past the data (a factor 2 around a
// single value).
func logRange(lo, hi float64) (float64, float64) {
	if lo == hi {
		return lo / 2, hi * 2
	}
	f := math.Pow(hi/lo, 0.03)
	return lo / f, hi * f
}

// linearTicker labels 4 to 10 round values (steps of 1, 2 or 5 times a
// power of ten) with an unlabelled tick between each.
type linearTicker struct{}

func (linearTicker) Ticks(lo, hi float64) []plot.Tick {
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	raw := (hi - lo) / 6
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw*0.99 {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	first := math.Ceil(lo/step-1e-9) - 1
	for i := first; i*step <= hi+step; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ts = append(ts, plot.Tick{Value: v, Label: tickLabel(v)}, plot.Tick{Value: v + step/2})
	}
	return ts
}

// logTicker marks powers of two on byte axes (sizes are powers of two)
// and 1-2-5 decades on others, labelling enough of them to read.
func logTicker(a Axis, bytesTicks bool) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		if a.Kind == Bytes {
			k0, k1 := int(math.Floor(math.Log2(lo))), int(math.Ceil(math.Log2(hi)))
			in := func(k int) bool { v := math.Ldexp(1, k); return v >= lo && v <= hi }
			n := 0
			for k := k0; k <= k1; k++ {
				if in(k) {
					n++
				}
			}
			// Steps dividing 10 keep 1 KiB, 1 MiB, 1 GiB labelled.
			step := 1
			for _, st := range []int{1, 2, 5, 10, 20, 30, 40} {
				step = st
				if n/st <= 8 {
					break
				}
			}
			for k := k0; k <= k1; k++ {
				t := plot.Tick{Value: math.Ldexp(1, k)}
				if ((k%step)+step)%step == 0 {
					if bytesTicks {
						t.Label = units.FormatBytesBinary(t.Value)
					} else {
						t.Label = tickLabel(t.Value)
					}
				}
				ts = append(ts, t)
			}
		} else {
			d0, d1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
			for _, labelled := range [][]int{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
				ts = ts[:0]
				n := 0
				for d := d0; d <= d1; d++ {
					for m := 1; m <= 9; m++ {
						t := plot.Tick{Value: float64(m) * math.Pow10(d)}
						for _, l := range labelled {
							if l == m {
								t.Label = tickLabel(t.Value)
								if t.Value >= lo && t.Value <= hi {
									n++
								}
							}
						}
						ts = append(ts, t)
					}
				}
				if n >= 3 {
					break
				}
			}
		}
		labelled := 0
		for _, t := range ts {
			if t.Label != "" && t.Value >= lo && t.Value <= hi {
				labelled++
			}
		}
		if labelled < 2 {
			return linearTicker{}.Ticks(lo, hi)
		}
		return ts
	})
}
