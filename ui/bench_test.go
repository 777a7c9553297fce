package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// benchModel builds a model holding n analysed flows (the mixed fixture
// repeated, every flow its own value and ID), sized w×h, with the cursor
// in the middle. Rows go straight into the table: the benchmarks measure
// the keypress, not the ingest.
func benchModel(b *testing.B, n, w, h int) *Model {
	b.Helper()
	tmpl := mixedFixture()
	verdicts := make([]*analyze.Verdict, len(tmpl))
	for i, x := range tmpl {
		v := *x.v
		verdicts[i] = &v
	}
	flows := make([]capture.Flow, n)
	m := New(context.Background(), Options{Store: capture.NewStore(1), Location: time.UTC})
	b.Cleanup(m.Close)
	m.t.rows = make([]*row, 0, n)
	m.t.view = make([]entry, 0, n+n/len(tmpl))
	for i := range flows {
		k := i % len(tmpl)
		flows[i] = tmpl[k].f
		flows[i].ID = capture.FlowID(i + 1)
		m.t.upsert(newRow(&flows[i], verdicts[k], 0))
	}
	m.loaded = true
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.list.sel = len(m.t.view) / 2
	m.list.selE = m.t.view[m.list.sel]
	m.list.clamp(len(m.t.view))
	m.Update(keyMsg("j"))
	return m
}

// BenchmarkKeypress is one keypress as the user feels it: Update with ↓
// or ↑ (the cursor moves, the detail pane is rebuilt for the new flow)
// plus View. The 1k case is the baseline the others are compared to: the
// cost must not grow with the number of flows.
func BenchmarkKeypress(b *testing.B) {
	for _, n := range []int{1000, 100_000, 1_000_000} {
		for _, t := range []struct {
			name string
			tab  string
		}{{"summary", "1"}, {"fix", "4"}} {
			b.Run(fmt.Sprintf("flows=%d/tab=%s", n, t.name), func(b *testing.B) {
				m := benchModel(b, n, 120, 40)
				m.Update(keyMsg(t.tab))
				keys := [2]tea.KeyPressMsg{keyMsg("down"), keyMsg("up")}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					m.Update(keys[i&1])
					_ = m.View()
					i++
				}
			})
		}
	}
}

// BenchmarkView is View alone (a frame with nothing changed).
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1000, 1_000_000} {
		b.Run(fmt.Sprintf("flows=%d", n), func(b *testing.B) {
			m := benchModel(b, n, 120, 40)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkFilter100k is a filter over 100k flows, run the way the command
// runs it (over a snapshot), for the "results as indices" path.
func BenchmarkFilter100k(b *testing.B) {
	m := benchModel(b, 100_000, 120, 40)
	f, err := ParseFilter("cors:blocked !kind:preflight host:localhost")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = filterEntries(m.t.rows, f, nil)
	}
}
