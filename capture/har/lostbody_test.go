package har_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/capture/har"
)

func TestExportSaysSoWhenASpilledBodyCannotBeReadBack(t *testing.T) {
	big := strings.Repeat("x", 16<<10)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(big))
	}))
	defer api.Close()

	spill := capture.NewSpill(t.TempDir())
	store := capture.NewStore(0)
	p, err := capture.Listen(capture.Config{Listen: "127.0.0.1:0", Home: t.TempDir(), Store: store, Spill: spill, InlineBody: 1024})
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve()
	defer p.Shutdown(context.Background())

	proxyURL, _ := url.Parse("http://" + p.Addr())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: 10 * time.Second}
	resp, err := client.Get(api.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()

	var flows []capture.Flow
	for deadline := time.Now().Add(5 * time.Second); ; {
		flows = store.Snapshot()
		if len(flows) == 1 && flows[0].Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow never finished: %+v", flows)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !flows[0].Response.Body.Spilled() {
		t.Fatal("the 16 KiB body was not spilled: the test proves nothing")
	}
	spill.Close() // the spill file is gone: Data() now fails

	var out bytes.Buffer
	if err := har.Write(&out, flows, har.Options{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Response struct {
					Content struct {
						Text    string `json:"text"`
						Comment string `json:"comment"`
					} `json:"content"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Log.Entries[0].Response.Content
	if c.Text != "" || !strings.Contains(c.Comment, "could not be read back") {
		t.Errorf("content text %d bytes, comment %q: want no text and a note saying the body is missing", len(c.Text), c.Comment)
	}
}
