package capture

import (
	"context"
	"net/http"
	"time"
)

// serverName is the Server header of the proxy's own answers.
const serverName = "corscope"

// Running reports whether a corscope proxy answers on addr (host:port). It
// asks the proxy itself, not through it, so another program on the port
// is never mistaken for corscope.
func Running(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return false
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.Header.Get("Server") == serverName
}
