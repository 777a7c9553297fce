package agreement

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// corscope is a running proxy with its store, as `corscope capture` runs it.
type corscope struct {
	proxy *capture.Proxy
	store *capture.Store
	sub   *capture.Subscription
}

// startCorscope starts the proxy on a free loopback port with a CA of its
// own (a fresh home) and the HTTPS test servers' certificate as an extra
// upstream root, the way a user passes --upstream-ca.
func startCorscope(t *testing.T, srv *servers) *corscope {
	t.Helper()
	store := capture.NewStore(0)
	p, err := capture.Listen(capture.Config{
		Listen:          "127.0.0.1:0",
		Home:            t.TempDir(),
		Store:           store,
		UpstreamCAFiles: []string{srv.httpsCAFile},
	})
	if err != nil {
		t.Fatalf("start corscope's proxy: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve() }()
	c := &corscope{proxy: p, store: store, sub: store.Subscribe()}
	t.Cleanup(func() {
		c.sub.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("stop corscope's proxy: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("corscope's proxy: %v", err)
		}
	})
	return c
}

// corscopeResult is corscope's verdict on a scenario.
type corscopeResult struct {
	Kind      string // analyze.Kind of the deciding verdict
	Error     string
	Param     string
	Warning   bool   // AuthorizationCoveredByWildcard carried
	Role      string // role of the deciding flow
	NeverSent bool
	DependsOn string
	Console   string
	CacheHits int // flows marked FromPreflightCache
	// CookiesBefore counts earlier flows of the capture, to the host the
	// scenario first called, that carried a Cookie header: evidence that
	// the browser holds cookies a credentialed request would have sent.
	CookiesBefore int
	Flows         []capture.Flow
	Verdicts      []analyze.Verdict
}

func (r corscopeResult) label() string {
	switch analyze.Kind(r.Kind) {
	case analyze.KindBlocked:
		return r.Error + paramSuffix(r.Param)
	case analyze.KindAllowed:
		if r.Warning {
			return "allowed+AuthorizationCoveredByWildcard"
		}
	case "":
		return "(no flow)"
	}
	return r.Kind
}

// onPath reports whether a flow belongs to the scenario with this path tag.
func onPath(f capture.Flow, tag string) bool {
	u, err := url.Parse(f.Request.URL)
	return err == nil && strings.HasPrefix(u.Path, tag)
}

func hostOfURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// verdict waits until every flow of the scenario has finished, analyzes the
// whole capture as `corscope analyze` would, and picks the verdict that
// decides the scenario: a blocked flow first (the failed preflight, or the
// failing hop of the chain), then an undecidable one, then allowed, then
// not-cors.
//
// Chromium has finished the scenario before this runs, so every request it
// sent has reached the proxy; only the recording of the last bytes may lag.
func (c *corscope) verdict(ctx context.Context, sc *scenario) (corscopeResult, error) {
	tag := "/" + sc.ID + "/"
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	var all []capture.Flow
	for {
		all = c.store.Snapshot()
		unfinished := 0
		for i := range all {
			if onPath(all[i], tag) && !all[i].Finished() {
				unfinished++
			}
		}
		if unfinished == 0 {
			break
		}
		select {
		case <-c.sub.Ready():
			c.sub.Next()
		case <-deadline.C:
			return corscopeResult{}, fmt.Errorf("%d flows of %s still unfinished in corscope's store after 5s", unfinished, sc.ID)
		case <-ctx.Done():
			return corscopeResult{}, ctx.Err()
		}
	}

	verdicts := analyze.AnalyzeAll(all)
	var r corscopeResult
	for i := range all {
		if onPath(all[i], tag) {
			r.Flows = append(r.Flows, all[i])
			r.Verdicts = append(r.Verdicts, verdicts[i])
		}
	}
	decide(&r)
	if len(r.Flows) > 0 {
		host := hostOfURL(r.Flows[0].Request.URL)
		for i := range all {
			if all[i].ID < r.Flows[0].ID && hostOfURL(all[i].Request.URL) == host && all[i].Request.Header.Has("Cookie") {
				r.CookiesBefore++
			}
		}
	}
	return r, nil
}

// decide fills r's verdict from its flows' verdicts.
func decide(r *corscopeResult) {
	best := -1
	for i, v := range r.Verdicts {
		if v.FromPreflightCache {
			r.CacheHits++
		}
		if slices.ContainsFunc(v.Warnings, func(w analyze.Warning) bool { return w.Code == analyze.WarnAuthorizationByWildcard }) {
			r.Warning = true
		}
		if best < 0 || rank(v.Kind) < rank(r.Verdicts[best].Kind) {
			best = i
		}
	}
	if best < 0 {
		return
	}
	v := r.Verdicts[best]
	r.Kind, r.Error, r.Param = string(v.Kind), v.Error, v.FailedParameter
	r.Role, r.NeverSent, r.DependsOn, r.Console = string(v.Role), v.NeverSent, v.DependsOn, v.Console
}

// rank orders kinds by how much they decide a scenario: the first blocked
// flow decides it, then anything the analysis could not settle, then
// allowed, then not-cors.
func rank(k analyze.Kind) int {
	switch k {
	case analyze.KindBlocked:
		return 0
	case analyze.KindUndecidable:
		return 1
	case analyze.KindAllowed:
		return 3
	case analyze.KindNotCORS:
		return 4
	}
	return 2 // failed, pending, or a kind this suite does not know
}

// formatFlows renders what corscope recorded and concluded, for reports.
func formatFlows(r corscopeResult) string {
	var b strings.Builder
	for i, f := range r.Flows {
		v := r.Verdicts[i]
		fmt.Fprintf(&b, "    #%d %s %s → ", f.ID, f.Request.Method, f.Request.URL)
		if f.Response != nil {
			fmt.Fprintf(&b, "%d", f.Response.Status)
		} else {
			fmt.Fprintf(&b, "no response (%s)", f.Error)
		}
		fmt.Fprintf(&b, "  [%s/%s", v.Kind, v.Role)
		if v.Error != "" {
			fmt.Fprintf(&b, " %s%s", v.Error, paramSuffix(v.FailedParameter))
		}
		if v.NeverSent {
			b.WriteString(" never-sent")
		}
		if v.FromPreflightCache {
			b.WriteString(" from-preflight-cache")
		}
		if v.Pair != 0 {
			fmt.Fprintf(&b, " pair=#%d", v.Pair)
		}
		if v.DependsOn != "" {
			fmt.Fprintf(&b, " depends on: %s", v.DependsOn)
		}
		for _, w := range v.Warnings {
			fmt.Fprintf(&b, " warn:%s", w.Code)
		}
		b.WriteString("]\n")
		for _, h := range f.Request.Header {
			fmt.Fprintf(&b, "      > %s: %s\n", h.Name, h.Value)
		}
		if f.Response != nil {
			for _, h := range f.Response.Header {
				fmt.Fprintf(&b, "      < %s: %s\n", h.Name, h.Value)
			}
		}
	}
	return b.String()
}
