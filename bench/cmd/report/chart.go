package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// A panel is one horizontal bar chart of ratios.
type panel struct {
	title string
	bars  []bar
}

type bar struct {
	label string
	alg   string
	value float64
}

var algColors = map[string]color.RGBA{
	"HS256": {0x1f, 0x77, 0xb4, 0xff},
	"EdDSA": {0xff, 0x7f, 0x0e, 0xff},
	"ES256": {0x2c, 0xa0, 0x2c, 0xff},
	"RS256": {0xd6, 0x27, 0x28, 0xff},
	"PS256": {0x94, 0x67, 0xbd, 0xff},
}

func (r *report) chartPanels() []panel {
	var cols []string
	for _, lib := range libraries {
		cols = append(cols, lib.columns...)
	}
	vsBest := panel{title: "freshtoken time / the fastest other library's time (lower is better)"}
	for _, c := range []comparison{requireFresh, issuePair, refresh} {
		for _, alg := range algorithms {
			ft, ok := r.get(c.group, alg, c.freshtoken)
			if !ok {
				continue
			}
			if col, best, ok := r.fastest(c, alg, cols); ok && best.ns > 0 {
				vsBest.bars = append(vsBest.bars, bar{fmt.Sprintf("%s  %s (vs %s)", c.label, alg, col), alg, ft.ns / best.ns})
			}
		}
	}
	vsRaw := panel{title: "freshtoken time / bare signature primitive time (1 = no overhead)"}
	for _, c := range comparisons {
		if c.label == "RequireAccess" || c.label == "RequireFresh, cache miss" {
			continue // as RequireFresh on this chart
		}
		for _, alg := range algorithms {
			if v := r.ratio(c.group, alg, c.freshtoken, c.others[colRaw]); !math.IsNaN(v) {
				vsRaw.bars = append(vsRaw.bars, bar{c.label + "  " + alg, alg, v})
			}
		}
	}
	return []panel{vsBest, vsRaw}
}

const (
	chartWidth = 1240
	labelWidth = 430
	plotRight  = chartWidth - 90
	barHeight  = 20
	barGap     = 7
	titleH     = 44
	axisH      = 26
	marginTop  = 50
)

func writeChart(name string, panels []panel) error {
	regular, err := newFace(goregular.TTF, 14)
	if err != nil {
		return err
	}
	bold, err := newFace(gobold.TTF, 16)
	if err != nil {
		return err
	}
	height := marginTop
	for _, p := range panels {
		height += titleH + len(p.bars)*(barHeight+barGap) + axisH + 20
	}
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	// Legend.
	x := labelWidth
	text(img, bold, 20, 28, "freshtoken benchmarks", color.Black)
	for _, alg := range algorithms {
		fill(img, image.Rect(x, 16, x+14, 30), algColors[alg])
		text(img, regular, x+20, 28, alg, color.Black)
		x += 90
	}

	y := marginTop
	for _, p := range panels {
		y = drawPanel(img, regular, bold, y, p)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func drawPanel(img *image.RGBA, regular, bold font.Face, y int, p panel) int {
	text(img, bold, 20, y+28, p.title, color.Black)
	y += titleH
	maxV := 1.2
	for _, b := range p.bars {
		maxV = math.Max(maxV, b.value*1.08)
	}
	step := 0.25
	switch {
	case maxV > 6:
		step = 1
	case maxV > 3:
		step = 0.5
	}
	maxV = math.Ceil(maxV/step) * step
	xOf := func(v float64) int { return labelWidth + int(v/maxV*float64(plotRight-labelWidth)) }
	top, bottom := y, y+len(p.bars)*(barHeight+barGap)

	grid := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	for v := 0.0; v <= maxV+1e-9; v += step {
		c := grid
		if math.Abs(v-1) < 1e-9 {
			c = color.RGBA{0x55, 0x55, 0x55, 0xff}
		}
		fill(img, image.Rect(xOf(v), top-4, xOf(v)+1, bottom), c)
		label := fmt.Sprintf("%g", v)
		text(img, regular, xOf(v)-measure(regular, label)/2, bottom+16, label, color.Black)
	}
	for _, b := range p.bars {
		text(img, regular, labelWidth-10-measure(regular, b.label), y+15, b.label, color.Black)
		w := max(xOf(b.value)-labelWidth, 1)
		fill(img, image.Rect(labelWidth, y, labelWidth+w, y+barHeight), algColors[b.alg])
		val := fmt.Sprintf("%.2f", b.value)
		if b.value < 0.1 {
			val = fmt.Sprintf("%.3f", b.value)
		}
		text(img, regular, labelWidth+w+6, y+15, val, color.Black)
		y += barHeight + barGap
	}
	return bottom + axisH + 20
}

func newFace(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func text(img *image.RGBA, face font.Face, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func measure(face font.Face, s string) int {
	return font.MeasureString(face, s).Round()
}
