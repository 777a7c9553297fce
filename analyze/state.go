package analyze

import "github.com/corscope/corscope/capture"

// entry is what the analyzer keeps per flow.
type entry struct {
	flow    capture.Flow
	verdict Verdict
}

// state is the Analyzer's memory.
type state struct {
	flows map[capture.FlowID]*entry
}

func (s *state) init() {
	s.flows = make(map[capture.FlowID]*entry)
}

func (s *state) ingest(f capture.Flow) []Verdict {
	e := s.flows[f.ID]
	if e == nil {
		e = &entry{}
		s.flows[f.ID] = e
	}
	e.flow = f
	e.verdict = basicVerdict(&e.flow)
	return []Verdict{e.verdict}
}

func (s *state) forget(id capture.FlowID) {
	delete(s.flows, id)
}

// basicVerdict is a placeholder until the full engine lands.
func basicVerdict(f *capture.Flow) Verdict {
	v := Verdict{Flow: f.ID, Kind: KindNotCORS, Role: RoleNotCORS, Credentials: CredUnknown}
	v.Origin = f.Request.Header.Get("Origin")
	v.Method = f.Request.Method
	if v.Origin == "" {
		return v
	}
	switch {
	case f.ErrorKind != capture.ErrNone && f.ErrorKind != capture.ErrBrowser:
		v.Kind = KindFailed
	case f.Response == nil:
		v.Kind = KindPending
	case f.Response.Header.Has("Access-Control-Allow-Origin"):
		v.Kind = KindAllowed
	default:
		v.Kind = KindBlocked
		v.Error = "MissingAllowOriginHeader"
	}
	return v
}
