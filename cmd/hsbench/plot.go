package main

import (
	"fmt"
	"math"
	"strings"
)

// raceSVG plots the mixed list's p50 and p99 at 1 client against the number
// of documents, ours and naive, on log-log axes: how each engine's cost
// grows with the index.
func raceSVG(runs []*RaceRun) string {
	const w, h, left, right, top, bottom = 640, 400, 70, 170, 30, 50
	type series struct {
		name, color, dash string
		y                 func(r *RaceRun) float64
	}
	all := []series{
		{"ours p50", "#1a7f37", "", func(r *RaceRun) float64 { return r.Ours.Mixed.P50MS }},
		{"ours p99", "#1a7f37", "6 4", func(r *RaceRun) float64 { return r.Ours.Mixed.P99MS }},
		{"naive p50", "#cf222e", "", func(r *RaceRun) float64 { return r.Naive.Mixed.P50MS }},
		{"naive p99", "#cf222e", "6 4", func(r *RaceRun) float64 { return r.Naive.Mixed.P99MS }},
	}
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		x := float64(max(r.Documents, 1))
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		for _, s := range all {
			if y := s.y(r); y > 0 {
				minY, maxY = math.Min(minY, y), math.Max(maxY, y)
			}
		}
	}
	if math.IsInf(minY, 1) {
		minY, maxY = 1, 10
	}
	// Whole decades around the data, and some room when there is one scale.
	lx0, lx1 := math.Floor(math.Log10(minX)), math.Ceil(math.Log10(maxX))
	if lx1 == lx0 {
		lx1++
	}
	ly0, ly1 := math.Floor(math.Log10(minY)), math.Ceil(math.Log10(maxY))
	if ly1 == ly0 {
		ly1++
	}
	px := func(x float64) float64 {
		return left + (math.Log10(x)-lx0)/(lx1-lx0)*(w-left-right)
	}
	py := func(y float64) float64 {
		return h - bottom - (math.Log10(y)-ly0)/(ly1-ly0)*(h-top-bottom)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14">make bench: mixed list, 1 client, plain first pages</text>`+"\n", left)
	for e := ly0; e <= ly1; e++ {
		y := py(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g ms</text>`+"\n", left, w-right, y, y, left-6, y+4, math.Pow(10, e))
	}
	for e := lx0; e <= lx1; e++ {
		x := px(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, x, top, h-bottom, x, h-bottom+16, thousands(int(math.Pow(10, e))))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">documents in the index</text>`+"\n", (w-right+left)/2, h-12)
	for i, s := range all {
		var pts []string
		for _, r := range runs {
			if y := s.y(r); y > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(max(r.Documents, 1))), py(y)))
			}
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", s.color, dash, strings.Join(pts, " "))
		for _, p := range pts {
			xy := strings.Split(p, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], s.color)
		}
		ly := top + 20 + 22*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/><text x="%d" y="%d">%s</text>`+"\n", w-right+15, w-right+45, ly, ly, s.color, dash, w-right+52, ly+4, s.name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}
