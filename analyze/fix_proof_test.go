package analyze

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/internal/testenv"
)

// The fix proofs run a real server configured with a generated snippet and
// check that the probe, blocked before, is allowed after. Express needs
// node and npm (and the npm registry); nginx, Apache and Caddy need
// Debian's nginx, apache2 and caddy packages; each proof skips when its server is absent,
// so CI must install them for the proofs to run. The Go proofs need only
// the go command (rs/cors also the module proxy).

// proofScenario is a request a page makes that the unfixed API blocks.
type proofScenario struct {
	name string
	req  func(base string) ProbeRequest
}

var proofScenarios = []proofScenario{
	{"credentialed PUT with custom headers", func(base string) ProbeRequest {
		return ProbeRequest{URL: base + "/api/users/7", Origin: pageOrigin, Method: "PUT", Credentials: true,
			Header: hdr("Authorization", "Bearer t", "X-Custom", "1", "Cookie", "sid=1")}
	}},
	{"simple GET", func(base string) ProbeRequest {
		return ProbeRequest{URL: base + "/api/public", Origin: pageOrigin}
	}},
}

// proveFix starts the unfixed server, probes each scenario (must be
// blocked), renders framework's fix from the probe's own FixSpec, starts
// the server with that snippet, and probes again (must be allowed).
func proveFix(t *testing.T, framework string, start func(t *testing.T, snippet string) string) {
	for _, sc := range proofScenarios {
		t.Run(sc.name, func(t *testing.T) {
			before := start(t, "")
			res := probe(t, sc.req(before))
			if res.ExitCode() != 1 {
				t.Fatalf("unfixed server: exit %d (%s %s), want blocked", res.ExitCode(), res.Outcome.Kind, res.Outcome.Error)
			}
			spec := res.FixSpec()
			if spec == nil {
				t.Fatal("blocked probe gave no fix spec")
			}
			fix, err := FixFor(*spec, framework)
			if err != nil {
				t.Fatal(err)
			}
			after := start(t, fix.Snippet)
			res = probe(t, sc.req(after))
			if res.ExitCode() != 0 || res.Outcome.Kind != KindAllowed || !res.ActualSent {
				var b strings.Builder
				_ = res.WriteText(&b, "")
				t.Fatalf("server with the %s fix: exit %d, kind %s, error %s; want allowed\nsnippet:\n%s\nprobe:\n%s",
					framework, res.ExitCode(), res.Outcome.Kind, res.Outcome.Error, fix.Snippet, b.String())
			}
			last := res.Flows[len(res.Flows)-1]
			if last.Response == nil || last.Response.Status != http.StatusOK {
				t.Errorf("final response %+v, want 200 from the API", last.Response)
			}
		})
	}
}

// authFirstBackend is the unfixed API as a Go server: authentication
// before everything, no CORS at all.
func authFirstBackend(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/public" && r.Header.Get("Authorization") != "Bearer t" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestExpressFixWorksForReal(t *testing.T) {
	node := testenv.LookPath(t, "node", "the Express snippet runs on Node.js: apt-get install -y nodejs npm")
	npm := testenv.LookPath(t, "npm", "the Express snippet needs npm: apt-get install -y npm")
	src, err := filepath.Abs(filepath.Join("..", "testdata", "fix", "express"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "app.js.tmpl"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.Command(npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install express cors: %v\n%s", err, out)
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "app.js.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	proveFix(t, "express", func(t *testing.T, snippet string) string {
		n++
		app := filepath.Join(dir, fmt.Sprintf("app%d.js", n))
		code := strings.Replace(string(tmpl), "/*CORS*/", snippet, 1)
		if err := os.WriteFile(app, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		return startListening(t, exec.Command(node, app))
	})
}

// startListening runs cmd, waits for it to print "LISTENING <port>", and
// stops it when the test ends.
func startListening(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ports := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				ports <- p
			}
		}
	}()
	select {
	case p := <-ports:
		return "http://127.0.0.1:" + strings.TrimSpace(p)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not start listening within 20s\n%s", cmd.Path, stderr.String())
	}
	return ""
}

func TestNginxFixWorksForReal(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, e := os.Stat(p); e == nil {
				nginx, err = p, nil
			}
		}
	}
	if err != nil {
		testenv.Missing(t, "nginx", "apt-get install -y nginx", err)
	}
	backend := authFirstBackend(t)
	proveFix(t, "nginx", func(t *testing.T, snippet string) string {
		return startNginx(t, nginx, snippet, backend)
	})
}

// startNginx runs nginx in the foreground on a free loopback port with the
// snippet in the location that proxies to backend, the way the snippet's
// comment tells a user to place it.
func startNginx(t *testing.T, nginx, snippet, backend string) string {
	t.Helper()
	prefix := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen 127.0.0.1:%[2]d;
        location /api/ {
%[3]s
            proxy_pass %[4]s;
        }
    }
}
`, prefix, port, indent(snippet, "            "), backend)
	path := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", prefix, "-c", path).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t rejects the configuration with the snippet: %v\n%s\n%s", err, out, conf)
	}
	cmd := exec.Command(nginx, "-p", prefix, "-c", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	return runServer(t, cmd, fmt.Sprintf("127.0.0.1:%d", port), "nginx", func() string {
		log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
		return stderr.String() + "\n" + string(log)
	})
}

// runServer starts cmd (stopped when the test ends) and waits until it
// listens on addr; log tells what went wrong when it never does.
func runServer(t *testing.T, cmd *exec.Cmd, addr, what string, log func() string) string {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s:\n%s", what, addr, log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestGoNetHTTPFixWorksForReal compiles the generated net/http middleware
// into a small server (standard library only) and runs it.
func TestGoNetHTTPFixWorksForReal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fixproof\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	proveFix(t, "go", func(t *testing.T, snippet string) string {
		n++
		handler := "auth(mux)"
		if snippet != "" {
			handler = "withCORS(auth(mux))"
		}
		src := `package main

import (
	"fmt"
	"net"
	"net/http"
)

` + snippet + `
func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/public" && r.Header.Get("Authorization") != "Bearer t" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "{}")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("LISTENING", l.Addr().(*net.TCPAddr).Port)
	http.Serve(l, ` + handler + `)
}

// auth stands for the app's own middleware; withCORS wraps outside it.
func auth(h http.Handler) http.Handler { return h }
`
		return startGoServer(t, goTool, dir, n, src, "the generated net/http middleware")
	})
}

// startGoServer builds src as program number n of the throwaway module in
// dir, runs it and returns its address; what names the code in a build
// failure.
func startGoServer(t *testing.T, goTool, dir string, n int, src, what string) string {
	t.Helper()
	sub := filepath.Join(dir, fmt.Sprintf("v%d", n))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, fmt.Sprintf("server%d", n))
	build := exec.CommandContext(context.Background(), goTool, "build", "-o", bin, "./"+filepath.Base(sub))
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s does not compile: %v\n%s\n%s", what, err, out, src)
	}
	return startListening(t, exec.Command(bin))
}

// TestRsCorsFixWorksForReal compiles the generated rs/cors configuration
// into a small server. It fetches github.com/rs/cors through the Go module
// proxy into a throwaway module, so it is skipped in -short runs.
func TestRsCorsFixWorksForReal(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads github.com/rs/cors and builds a Go program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fixproof\n\ngo 1.22\n\nrequire github.com/rs/cors v1.11.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	proveFix(t, "rs-cors", func(t *testing.T, snippet string) string {
		n++
		imp, setup, handler := "", "", "auth(mux)"
		if snippet != "" {
			imp = "\n\t\"github.com/rs/cors\""
			setup = snippet
			handler = "handler"
		}
		src := `package main

import (
	"fmt"
	"net"
	"net/http"` + imp + `
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/public" && r.Header.Get("Authorization") != "Bearer t" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "{}")
	})
` + setup + `
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("LISTENING", l.Addr().(*net.TCPAddr).Port)
	http.Serve(l, ` + handler + `)
}

// auth stands for the app's own middleware; the handler checks the token
// itself, which is what makes the unfixed preflight fail.
func auth(h http.Handler) http.Handler { return h }
`
		return startGoServer(t, goTool, dir, n, src, "the generated rs/cors configuration")
	})
}

// TestApacheFixWorksForReal runs Debian's apache2 in the foreground with
// the snippet in the VirtualHost that proxies to the unfixed API.
func TestApacheFixWorksForReal(t *testing.T) {
	httpd := "/usr/sbin/apache2"
	mods := "/usr/lib/apache2/modules"
	if _, err := os.Stat(filepath.Join(mods, "mod_proxy_http.so")); err != nil {
		testenv.Missing(t, "Debian's apache2", "apt-get install -y apache2", err)
	}
	if _, err := os.Stat(httpd); err != nil {
		testenv.Missing(t, "Debian's apache2", "apt-get install -y apache2", err)
	}
	backend := authFirstBackend(t)
	proveFix(t, "apache", func(t *testing.T, snippet string) string {
		prefix := t.TempDir()
		port := freePort(t)
		var conf strings.Builder
		fmt.Fprintf(&conf, "ServerName localhost\nServerRoot %s\nListen 127.0.0.1:%d\nPidFile %[1]s/httpd.pid\nDefaultRuntimeDir %[1]s\nErrorLog %[1]s/error.log\nLogLevel warn\n", prefix, port)
		if os.Geteuid() == 0 {
			conf.WriteString("User nobody\nGroup nogroup\n")
		}
		for _, m := range []string{"mpm_event", "authz_core", "headers", "rewrite", "proxy", "proxy_http"} {
			fmt.Fprintf(&conf, "LoadModule %s_module %s/mod_%s.so\n", m, mods, m)
		}
		fmt.Fprintf(&conf, "<VirtualHost 127.0.0.1:%d>\n%s\nProxyPass / %s/\n</VirtualHost>\n", port, indent(snippet, "    "), backend)
		path := filepath.Join(prefix, "httpd.conf")
		if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(httpd, "-t", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("apache2 -t rejects the configuration with the snippet: %v\n%s\n%s", err, out, conf.String())
		}
		return runServer(t, exec.Command(httpd, "-f", path, "-X"), fmt.Sprintf("127.0.0.1:%d", port), "apache2", func() string {
			log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
			return string(log)
		})
	})
}

// TestCaddyFixWorksForReal runs caddy with the snippet in the site block
// that reverse-proxies to the unfixed API.
func TestCaddyFixWorksForReal(t *testing.T) {
	caddy := testenv.LookPath(t, "caddy", "apt-get install -y caddy")
	backend := authFirstBackend(t)
	proveFix(t, "caddy", func(t *testing.T, snippet string) string {
		dir := t.TempDir()
		port := freePort(t)
		conf := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n}\n\nhttp://127.0.0.1:%d {\n%s\n\treverse_proxy %s\n}\n",
			port, indent(snippet, "\t"), strings.TrimPrefix(backend, "http://"))
		path := filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		env := append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
		validate := exec.Command(caddy, "validate", "--config", path, "--adapter", "caddyfile")
		validate.Env = env
		if out, err := validate.CombinedOutput(); err != nil {
			t.Fatalf("caddy validate rejects the Caddyfile with the snippet: %v\n%s\n%s", err, out, conf)
		}
		cmd := exec.Command(caddy, "run", "--config", path, "--adapter", "caddyfile")
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		return runServer(t, cmd, fmt.Sprintf("127.0.0.1:%d", port), "caddy", stderr.String)
	})
}
