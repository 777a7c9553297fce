package analyze

import "github.com/corscope/corscope/capture"

// HARCors is the "_cors" object corscope adds to each HAR entry it
// exports: its verdict on that exchange. Readers that do not know it
// ignore it (HAR custom fields start with "_"); corscope itself ignores it
// on import and recomputes every verdict.
//
// The shape is stable: members are only ever added.
type HARCors struct {
	Kind Kind `json:"kind"`
	Role Role `json:"role"`
	// Error is the Chromium CDP Network.CorsError name, "" unless blocked.
	Error string `json:"error"`
	// FailedParameter is what Chromium reports with the error ("" if none).
	FailedParameter string `json:"failedParameter"`
	// Message is the console line Chromium prints, "" unless blocked.
	Message     string `json:"message"`
	Firefox     string `json:"firefox,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	DependsOn   string `json:"dependsOn,omitempty"`
	// PairedWith is the index in log.entries of the other half of a
	// preflight ↔ actual pair, -1 when there is none.
	PairedWith         int  `json:"pairedWith"`
	NeverSent          bool `json:"neverSent,omitempty"`
	FromPreflightCache bool `json:"fromPreflightCache,omitempty"`
	// Headers are the headers that decided the verdict (present and
	// wrong, or missing).
	Headers  []HARCorsHeader `json:"headers,omitempty"`
	Warnings []HARWarning    `json:"warnings"`
}

// HARCorsHeader is a header that decided a verdict.
type HARCorsHeader struct {
	Side    Side   `json:"side"`
	Name    string `json:"name"`
	Value   string `json:"value,omitempty"`
	Missing bool   `json:"missing,omitempty"`
	Want    string `json:"want,omitempty"`
}

// HARWarning is a warning in a _cors object.
type HARWarning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Header  string `json:"header,omitempty"`
}

// HARExtra returns the har.Options.Extra function that adds "_cors" to
// each entry. verdicts must be in the order the flows are written (the
// order AnalyzeAll returns them for the flows given to har.WriteFile), so
// that pairedWith can name entry indexes; a flow without a verdict gets
// no _cors.
//
//	verdicts := analyze.AnalyzeAll(flows)
//	har.WriteFile(path, flows, har.Options{…, Extra: analyze.HARExtra(verdicts)})
func HARExtra(verdicts []Verdict) func(i int, f capture.Flow) map[string]any {
	index := make(map[capture.FlowID]int, len(verdicts))
	for i, v := range verdicts {
		index[v.Flow] = i
	}
	return func(i int, f capture.Flow) map[string]any {
		j, ok := index[f.ID]
		if !ok {
			return nil
		}
		return map[string]any{"_cors": NewHARCors(verdicts[j], func(id capture.FlowID) int {
			if k, ok := index[id]; ok {
				return k
			}
			return -1
		})}
	}
}

// NewHARCors builds the _cors object of v. entryIndex maps a flow to its
// index in log.entries (-1 when it is not in the file).
func NewHARCors(v Verdict, entryIndex func(capture.FlowID) int) HARCors {
	c := HARCors{
		Kind:               v.Kind,
		Role:               v.Role,
		Error:              v.Error,
		FailedParameter:    v.FailedParameter,
		Message:            v.Console,
		Firefox:            v.Firefox,
		Explanation:        v.Explanation,
		DependsOn:          v.DependsOn,
		PairedWith:         -1,
		NeverSent:          v.NeverSent,
		FromPreflightCache: v.FromPreflightCache,
		Warnings:           []HARWarning{},
	}
	if v.Pair != 0 && entryIndex != nil {
		c.PairedWith = entryIndex(v.Pair)
	}
	for _, h := range v.Headers {
		c.Headers = append(c.Headers, HARCorsHeader{Side: h.Side, Name: h.Name, Value: h.Value, Missing: h.Missing, Want: h.Want})
	}
	for _, w := range v.Warnings {
		c.Warnings = append(c.Warnings, HARWarning(w))
	}
	return c
}
