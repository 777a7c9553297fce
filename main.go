// Command corscope is an intercepting HTTP(S) proxy that records browser
// traffic, decides what the browser decided about CORS for every exchange,
// and shows the offending headers and the fix.
//
// This file only wires the command line to the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/fang"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/browser"
	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/capture/har"
	"github.com/corscope/corscope/demo"
	"github.com/corscope/corscope/internal/shutdown"
	"github.com/corscope/corscope/ui"
)

// version is set by the linker for releases (-X main.version=…).
var version = ""

// exitError carries a process exit code. A nil err means "exit with code,
// print nothing": analyze and probe use that for "something is blocked".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode wraps err so the process exits with code.
func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

// common holds the flags every command shares.
type common struct {
	home     string
	maxBody  int64
	maxFlows int
}

// proxyFlags are the flags of the commands that run the proxy.
type proxyFlags struct {
	listen           string
	har              string
	upstreamCA       []string
	insecureUpstream bool
	includeSecrets   bool
	allowRemote      []string
	maxMemory        capture.ByteSize
}

// signals handles SIGINT/SIGTERM/SIGHUP for the process: the first stops
// a capture cleanly (the HAR is written), a second exits at once.
var signals *shutdown.Handler

// gracefulCommands stop cleanly on the first signal: they have a capture
// to write, a terminal to restore or temporary files to remove. Others
// (analyze, probe, ca) exit at once.
var gracefulCommands = map[string]bool{"corscope": true, "capture": true, "browser": true, "demo": true, "open": true}

// atExit registers a clean-up for an immediate exit on a second signal.
func atExit(f func()) (remove func()) {
	if signals == nil {
		return func() {}
	}
	return signals.AtExit(f)
}

func main() {
	root := newRootCmd()
	opts := []fang.Option{fang.WithErrorHandler(errorHandler)}
	if version != "" {
		opts = append(opts, fang.WithVersion(version))
	}
	ctx, h := shutdown.Install(context.Background(), os.Stderr)
	signals = h
	err := fang.Execute(ctx, root, opts...)
	h.Stop()
	if err != nil {
		var e *exitError
		if errors.As(err, &e) {
			os.Exit(e.code)
		}
		if isUsageError(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errorHandler prints errors as one plain line on stderr (styled by fang on
// a terminal) and stays silent for bare exit codes.
func errorHandler(w io.Writer, styles fang.Styles, err error) {
	var e *exitError
	if errors.As(err, &e) && e.err == nil {
		return
	}
	// fang wraps the writer, so ask about stderr itself: off a terminal
	// (CI logs, pipes) the message must stay one exact line, paths and
	// case intact.
	if !term.IsTerminal(os.Stderr.Fd()) {
		fmt.Fprintln(w, "corscope: "+err.Error())
		return
	}
	fang.DefaultErrorHandler(w, styles, err)
}

func isUsageError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func defaultHome() string {
	if h := os.Getenv("CORSCOPE_HOME"); h != "" {
		return h
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ".corscope"
	}
	return filepath.Join(dir, "corscope")
}

func newRootCmd() *cobra.Command {
	c := &common{}
	pf := &proxyFlags{}
	root := &cobra.Command{
		Use:   "corscope",
		Short: "See exactly why the browser blocked a request by CORS policy",
		Long: `corscope is an intercepting HTTP(S) proxy for CORS debugging. Point a browser
at it (or run 'corscope browser'), reproduce the bug, and every cross-origin
exchange gets the verdict Chrome reached, the header at fault and the fix.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRoot(cmd, c, pf)
		},
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if signals != nil && gracefulCommands[cmd.Name()] {
				signals.Graceful()
			}
		},
	}
	pfs := root.PersistentFlags()
	pfs.StringVar(&c.home, "home", defaultHome(), "directory for the CA and settings (env CORSCOPE_HOME)")
	pfs.Int64Var(&c.maxBody, "max-body", 1<<20, "bytes of each request and response body to keep")
	pfs.IntVar(&c.maxFlows, "max-flows", capture.DefaultMaxFlows, "flows to keep before evicting the oldest")
	addProxyFlags(root, pf)

	root.AddCommand(
		newCaptureCmd(c),
		newOpenCmd(c),
		newAnalyzeCmd(c),
		newProbeCmd(c),
		newBrowserCmd(c),
		newDemoCmd(c),
		newCACmd(c),
	)
	return root
}

func addProxyFlags(cmd *cobra.Command, pf *proxyFlags) {
	fs := cmd.Flags()
	fs.StringVar(&pf.listen, "listen", capture.DefaultListen, "address the proxy listens on")
	fs.StringVar(&pf.har, "har", "", "write the capture to this HAR file on exit")
	fs.BoolVar(&pf.includeSecrets, "include-secrets", false, "keep Cookie, Set-Cookie and Authorization values in HAR files (redacted by default)")
	fs.StringArrayVar(&pf.upstreamCA, "upstream-ca", nil, "also trust the CA certificates in this PEM file for upstream TLS (repeatable)")
	fs.BoolVar(&pf.insecureUpstream, "insecure-upstream", false, "do not verify upstream TLS certificates (loudly reported)")
	fs.StringArrayVar(&pf.allowRemote, "allow-remote", nil, "also accept proxy clients from this CIDR (repeatable); loopback only otherwise")
	pf.maxMemory = capture.DefaultMaxMemory
	fs.Var(&pf.maxMemory, "max-memory", "memory the recorded flows may hold (e.g. 512MiB, 2GiB; 0: no bound) before the oldest are evicted; bodies over 4 KiB are kept in a temporary file under --home instead")
}

// listenProxy binds the proxy the flags describe. It binds before anything
// else starts, so a port in use fails fast with a one-line error. Large
// bodies go to a spill file under --home (private to the user, and on disk
// where /tmp may be RAM); closeSpill removes it, after the HAR is written.
func listenProxy(c *common, pf *proxyFlags, errLog *log.Logger) (p *capture.Proxy, closeSpill func(), err error) {
	allow, err := capture.ParseAllowRemote(pf.allowRemote)
	if err != nil {
		return nil, nil, err
	}
	_, _ = capture.RemoveStaleSpills(c.home)
	spill := capture.NewSpill(c.home)
	unregister := atExit(func() { spill.Close() })
	closeSpill = func() {
		unregister()
		if err := spill.Close(); err != nil && errLog != nil {
			errLog.Printf("corscope: %v", err)
		}
	}
	p, err = capture.Listen(capture.Config{
		Listen:           pf.listen,
		Home:             c.home,
		MaxBody:          c.maxBody,
		UpstreamCAFiles:  pf.upstreamCA,
		InsecureUpstream: pf.insecureUpstream,
		AllowRemote:      allow,
		Spill:            spill,
		Store:            capture.NewStoreLimits(capture.Limits{MaxFlows: c.maxFlows, MaxMemory: int64(pf.maxMemory)}),
		ErrorLog:         errLog,
	})
	if err != nil {
		closeSpill()
		return nil, nil, err
	}
	return p, closeSpill, nil
}

// setupError prints a start-up error as one plain line (fang would box and
// wrap it; scripts and users grep for the flag to change) and exits 1.
func setupError(cmd *cobra.Command, err error) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "corscope: "+err.Error())
	return exitCode(1, nil)
}

// harWriter returns the HAR writer used by the interface's `e` and on
// exit: corscope's verdict goes into each entry's _cors field.
func harWriter(includeSecrets bool) func(path string, flows []capture.Flow) error {
	return func(path string, flows []capture.Flow) error {
		return har.WriteFile(path, flows, har.Options{
			Version:        version,
			IncludeSecrets: includeSecrets,
			Extra:          analyze.HARExtra(analyze.AnalyzeAll(flows)),
		})
	}
}

// afterCapture runs once the proxy has stopped: it says what was dropped,
// writes --har, and repeats the --insecure-upstream warning.
func afterCapture(stderr io.Writer, p *capture.Proxy, c *common, pf *proxyFlags) error {
	switch byFlows, byMemory := p.Store().EvictedBy(); {
	case byMemory == 0 && byFlows > 0:
		fmt.Fprintf(stderr, "corscope: the %d oldest flows were dropped to stay within --max-flows %d\n", byFlows, c.maxFlows)
	case byFlows == 0 && byMemory > 0:
		fmt.Fprintf(stderr, "corscope: the %d oldest flows were dropped to stay within --max-memory %s\n", byMemory, pf.maxMemory)
	case byFlows > 0:
		fmt.Fprintf(stderr, "corscope: the %d oldest flows were dropped: %d to stay within --max-flows %d, %d within --max-memory %s\n", byFlows+byMemory, byFlows, c.maxFlows, byMemory, pf.maxMemory)
	}
	if pf.har != "" {
		flows := p.Store().Snapshot()
		// A second signal exits at once: leave no half-written temporary
		// file next to the HAR.
		dir, base := filepath.Split(pf.har)
		unregister := atExit(func() {
			tmps, _ := filepath.Glob(filepath.Join(dir, "."+base+".*.tmp"))
			for _, t := range tmps {
				os.Remove(t)
			}
		})
		err := harWriter(pf.includeSecrets)(pf.har, flows)
		unregister()
		if err != nil {
			return fmt.Errorf("cannot write the HAR file (%s): %w", flowCount(len(flows)), err)
		}
		fmt.Fprintf(stderr, "corscope: wrote %s to %s\n", flowCount(len(flows)), pf.har)
	}
	if pf.insecureUpstream {
		fmt.Fprintln(stderr, "corscope: WARNING: this capture ran with --insecure-upstream: upstream certificates were not verified")
	}
	return nil
}

// linePrinter prints one line per finished flow.
func linePrinter(w io.Writer) func(capture.Flow) error {
	return func(f capture.Flow) error {
		_, err := fmt.Fprintln(w, capture.FormatLine(f))
		return err
	}
}

func runRoot(cmd *cobra.Command, c *common, pf *proxyFlags) error {
	if !interactive(cmd) {
		// No terminal to draw on (piped, CI): one line per finished flow.
		return runProxy(cmd, c, pf, linePrinter(cmd.OutOrStdout()), nil)
	}
	// The interface owns the terminal; failures become recorded flows.
	p, closeSpill, err := listenProxy(c, pf, log.New(io.Discard, "", 0))
	if err != nil {
		return setupError(cmd, err)
	}
	defer closeSpill()
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	served := make(chan error, 1)
	go func() {
		err := p.Serve()
		if err != nil {
			cancel(err)
		}
		served <- err
	}()
	var notice string
	if pf.insecureUpstream {
		notice = "--insecure-upstream: upstream TLS certificates are NOT verified"
	}
	launcher := &browser.Launcher{Options: browser.Options{
		Proxy: p.Addr(), SPKI: p.CA().SPKIHash(), CACertFile: p.CA().CertPath,
	}}
	uiErr := ui.Run(ctx, ui.Options{
		Store: p.Store(), Analyzer: analyze.NewAnalyzer(), Live: true,
		ListenAddr: p.Addr(), Home: c.home, SaveOnExit: pf.har, Notice: notice,
		Export: harWriter(pf.includeSecrets),
		LaunchBrowser: func(ctx context.Context) (string, error) {
			b, err := launcher.Launch(ctx)
			if err != nil {
				return "", err
			}
			msg := "started " + filepath.Base(b.Path) + " through corscope (fresh profile; localhost included)"
			if len(b.Notes) > 0 {
				msg += "; " + strings.Join(b.Notes, "; ")
			}
			return msg, nil
		},
		TLS: func() ui.TLSStats {
			in, rej := p.TLSStats()
			return ui.TLSStats{Intercepted: in, Rejected: rej}
		},
	})
	_ = launcher.Close()
	sctx, done := context.WithTimeout(context.Background(), capture.DefaultGrace)
	_ = p.Shutdown(sctx)
	done()
	serveErr := <-served
	if err := afterCapture(cmd.ErrOrStderr(), p, c, pf); err != nil {
		return err
	}
	if uiErr != nil {
		return uiErr
	}
	return serveErr
}

// interactive reports whether the command can draw the interface: stdin
// and stdout are both terminals.
func interactive(cmd *cobra.Command) bool {
	in, okIn := cmd.InOrStdin().(*os.File)
	out, okOut := cmd.OutOrStdout().(*os.File)
	return okIn && okOut && term.IsTerminal(in.Fd()) && term.IsTerminal(out.Fd())
}

// runProxy runs the proxy headless until SIGINT/SIGTERM (or until stopped
// is closed), hands every finished flow to onFinished, and writes --har at
// the end. ready, if not nil, is called once the proxy listens.
func runProxy(cmd *cobra.Command, c *common, pf *proxyFlags, onFinished func(capture.Flow) error, ready func(ctx context.Context, p *capture.Proxy) (stopped <-chan struct{}, err error)) error {
	stderr := cmd.ErrOrStderr()
	p, closeSpill, err := listenProxy(c, pf, log.New(stderr, "", 0))
	if err != nil {
		return setupError(cmd, err)
	}
	defer closeSpill()
	fmt.Fprintf(stderr, "corscope: recording on %s: set it as the browser's HTTP and HTTPS proxy, or run 'corscope browser'. Ctrl-C stops.\n", p.Addr())
	fmt.Fprintf(stderr, "corscope: for HTTPS the browser must trust corscope's CA ('corscope ca' shows how; Chromium: --ignore-certificate-errors-spki-list=%s)\n", p.CA().SPKIHash())
	if pf.insecureUpstream {
		fmt.Fprintln(stderr, "corscope: WARNING: --insecure-upstream: upstream TLS certificates are NOT verified; any server, or anyone in between, is accepted as the real one")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if ready != nil {
		stopped, err := ready(ctx, p)
		if err != nil {
			_ = p.Shutdown(context.Background())
			return setupError(cmd, err)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-stopped:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	runErr := capture.RunHeadless(ctx, p, capture.HeadlessOptions{OnFinished: onFinished})
	stop()
	if err := afterCapture(stderr, p, c, pf); err != nil {
		return err
	}
	return runErr
}

func newCaptureCmd(c *common) *cobra.Command {
	pf := &proxyFlags{}
	var jsonl string
	cmd := &cobra.Command{
		Use:   "capture",
		Short: "Run the recording proxy without the interface (for scripts and tests)",
		Long: `capture runs the proxy headless. SIGINT or SIGTERM stops it: in-flight
exchanges get up to 2 seconds to finish, then the HAR (if --har) is written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var onFinished func(capture.Flow) error
			switch jsonl {
			case "":
			case "-":
				onFinished = capture.JSONLWriter(cmd.OutOrStdout())
			default:
				f, err := os.Create(jsonl)
				if err != nil {
					return fmt.Errorf("cannot create the --jsonl file: %w", err)
				}
				defer f.Close()
				onFinished = capture.JSONLWriter(f)
			}
			return runProxy(cmd, c, pf, onFinished, nil)
		},
	}
	addProxyFlags(cmd, pf)
	cmd.Flags().StringVar(&jsonl, "jsonl", "", "write one JSON object per finished flow to this file ('-' for stdout)")
	return cmd
}

func newOpenCmd(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "open FILE.har",
		Short: "Browse a saved capture (HAR) in the interface",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !interactive(cmd) {
				return fmt.Errorf("corscope open needs a terminal; for a report on %s run: corscope analyze %s", args[0], args[0])
			}
			flows, err := har.ReadFile(args[0])
			var notice string
			switch {
			case err != nil && len(flows) == 0:
				return err
			case err != nil:
				// A file broken part-way: show what was read, and say so.
				notice = fmt.Sprintf("%v — showing the %d entries before it", err, len(flows))
			}
			// Keep every entry of the file, even beyond --max-flows.
			store := capture.NewStore(max(c.maxFlows, len(flows)))
			for _, f := range flows {
				store.Add(f)
			}
			return ui.Run(cmd.Context(), ui.Options{
				Store: store, Analyzer: analyze.NewAnalyzer(), Title: filepath.Base(args[0]),
				Home: c.home, Notice: notice, Export: harWriter(false),
			})
		},
	}
}

func newAnalyzeCmd(c *common) *cobra.Command {
	var format, framework string
	var onlyFailures bool
	cmd := &cobra.Command{
		Use:   "analyze FILE.har",
		Short: "Report the CORS problems in a HAR file ('-' reads stdin)",
		Long: `analyze prints the CORS problems found in a HAR file, grouped by endpoint
and error, with Chrome's console line, an explanation and the fix.
Exit status: 0 nothing blocked, 1 something blocked, 2 the input could not be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := analyze.ReportOptions{Source: args[0], OnlyFailures: onlyFailures, Framework: framework}
			if err := analyze.CheckReportOptions(format, opts); err != nil {
				return exitCode(2, err)
			}
			var flows []capture.Flow
			var err error
			if args[0] == "-" {
				opts.Source = "stdin"
				flows, err = har.Read(cmd.InOrStdin())
				if err != nil {
					err = fmt.Errorf("stdin: %w", err)
				}
			} else {
				flows, err = har.ReadFile(args[0])
			}
			if err != nil {
				return exitCode(2, err)
			}
			report := analyze.NewReport(flows, analyze.AnalyzeAll(flows), opts)
			if err := report.Write(cmd.OutOrStdout(), format); err != nil {
				return exitCode(2, err)
			}
			if report.Blocked {
				return exitCode(1, nil)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "text", "report format: text, markdown or json")
	fs.StringVar(&framework, "framework", "", "show the fix for this framework only (default: all, briefly)")
	fs.BoolVar(&onlyFailures, "only-failures", false, "leave out warnings on allowed requests")
	return cmd
}

func newProbeCmd(c *common) *cobra.Command {
	var (
		origin, method, proxy, framework string
		headers                          []string
		credentials, asJSON, audit       bool
		timeout                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "probe --origin ORIGIN [-X METHOD] [-H 'K: V']... [--credentials] [--audit] [--json] URL",
		Short: "Ask a server the questions a browser would, without a browser",
		Long: `probe does what Chromium does for a fetch() from ORIGIN to URL: decides whether
a preflight is needed, sends the OPTIONS exactly as Chromium would, checks it,
sends the actual request only if the browser would, follows redirects like the
browser, and prints the verdict, Chrome's console line and the fix.

--audit then sends the request from made-up origins, each built to slip past
one kind of broken origin check (any origin echoed, null, prefix, substring
and suffix matches, unescaped dots in a regular expression, any subdomain,
the http:// twin of an https:// origin), and asks whether any request header
or method is allowed. A GET or HEAD goes as the simple request an attacker's
page would send, a POST with a GET standing in, any other method as its
preflight. The audit's own requests are only OPTIONS, GET or HEAD; the
probe's request itself is still sent as given.

Exit status: 0 the page could read the response (and the audit found no
medium or high risk), 1 blocked or such a risk, 2 usage or network error (or
an audit that could not test the origin check, or ran out of time with
nothing found).`,
		Example: `  corscope probe --origin http://localhost:3000 -X PUT \
      -H 'Authorization: Bearer x' -H 'Content-Type: application/json' \
      --credentials http://localhost:8080/api/users
  corscope probe --origin https://app.example.com --framework nginx https://api.example.com/v1/me
  corscope probe --origin https://app.example.com --credentials --audit https://api.example.com/v1/me`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := analyze.ProbeRequest{URL: args[0], Origin: origin, Method: method, Credentials: credentials}
			for _, h := range headers {
				kv, err := analyze.ParseProbeHeader(h)
				if err != nil {
					return exitCode(2, err)
				}
				req.Header = append(req.Header, kv)
			}
			if framework != "" {
				if _, ok := analyze.FrameworkKey(framework); !ok {
					return exitCode(2, fmt.Errorf("unknown --framework %q: use one of %s", framework, strings.Join(analyze.Frameworks(), ", ")))
				}
			}
			rt, err := analyze.NewProbeTransport(proxy, capture.CACertPath(c.home))
			if err != nil {
				return exitCode(2, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			p := &analyze.Prober{Transport: rt, MaxBody: c.maxBody}
			res, err := p.Probe(ctx, req)
			if err != nil {
				return exitCode(2, err)
			}
			if audit {
				// Its own time budget: ten more requests should not eat
				// into the probe's, and a cut-short audit still reports.
				actx, acancel := context.WithTimeout(cmd.Context(), timeout)
				defer acancel()
				if res.Audit, err = p.Audit(actx, req); err != nil {
					return exitCode(2, err)
				}
			}
			if asJSON {
				err = res.WriteJSON(cmd.OutOrStdout(), framework)
			} else {
				err = res.WriteText(cmd.OutOrStdout(), framework)
			}
			if err != nil {
				return exitCode(2, err)
			}
			if code := res.ExitCode(); code != 0 {
				return exitCode(code, nil)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&origin, "origin", "", "the page's origin, e.g. http://localhost:3000 (required)")
	fs.StringVarP(&method, "request", "X", "GET", "request method, exactly as the page passes it to fetch()")
	fs.StringArrayVarP(&headers, "header", "H", nil, "request header the page's script sets, 'Name: value' (repeatable)")
	fs.BoolVar(&credentials, "credentials", false, "credentials: 'include' (pass the browser's cookies with -H 'Cookie: …')")
	fs.BoolVar(&audit, "audit", false, "also send made-up origins to find mistakes in the server's origin check (read-only requests)")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fs.StringVar(&framework, "framework", "", "show the fix for this framework (express, fastapi, nginx, go, rs-cors, django, flask, spring, aspnet, rails, caddy, apache, vite, webpack, nextjs)")
	fs.StringVar(&proxy, "proxy", "", "send the probe through a running corscope at this address (e.g. 127.0.0.1:8080)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "give up on the whole probe after this long")
	_ = cmd.MarkFlagRequired("origin")
	return cmd
}

func newBrowserCmd(c *common) *cobra.Command {
	pf := &proxyFlags{}
	var o browser.Options
	var firefox bool
	cmd := &cobra.Command{
		Use:   "browser [URL]",
		Short: "Start Chromium with a fresh profile whose traffic goes through corscope",
		Long: `browser starts Chromium (or Firefox with --firefox) with a throwaway profile
that sends all its traffic, localhost included, through corscope and trusts
corscope's CA without installing it anywhere. The profile is removed when the
browser exits.

If corscope is already running on --listen (e.g. 'corscope' in another
terminal, with the same --home), the browser uses it. Otherwise a proxy is
started for the browser's lifetime, printing one line per finished exchange.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.URL = args[0]
			}
			if firefox {
				o.Family = browser.Firefox
			}
			return runBrowser(cmd, c, pf, o)
		},
	}
	addProxyFlags(cmd, pf)
	fs := cmd.Flags()
	fs.StringVar(&o.Path, "browser", "", "the browser executable (default: the first Chromium, Chrome or Edge found)")
	fs.BoolVar(&firefox, "firefox", false, "start Firefox instead of Chromium")
	fs.BoolVar(&o.Headless, "headless", false, "run the browser without a window (for scripts and tests)")
	return cmd
}

// runBrowser starts a browser through the corscope on --listen, or through
// a proxy of its own that lives as long as the browser.
func runBrowser(cmd *cobra.Command, c *common, pf *proxyFlags, o browser.Options) error {
	stderr := cmd.ErrOrStderr()
	if capture.Running(cmd.Context(), pf.listen) {
		ca, err := capture.LoadOrCreateCA(c.home)
		if err != nil {
			return setupError(cmd, err)
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		b, err := startBrowser(ctx, o, pf.listen, ca, stderr)
		if err != nil {
			return setupError(cmd, err)
		}
		fmt.Fprintf(stderr, "corscope: %s is browsing through the corscope on %s; close it (or Ctrl-C) to end\n", o.Family, pf.listen)
		return b.Wait()
	}
	var b *browser.Browser
	err := runProxy(cmd, c, pf, linePrinter(cmd.OutOrStdout()), func(ctx context.Context, p *capture.Proxy) (<-chan struct{}, error) {
		var err error
		b, err = startBrowser(ctx, o, p.Addr(), p.CA(), stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "corscope: %s started; this proxy stops when it exits (run 'corscope' first for the interface)\n", o.Family)
		return b.Done(), nil
	})
	if b != nil {
		if stopErr := b.Stop(); err == nil {
			err = stopErr
		}
	}
	return err
}

// startBrowser starts the browser through proxy, trusting ca, and prints
// what the user should know.
func startBrowser(ctx context.Context, o browser.Options, proxy string, ca *capture.CA, stderr io.Writer) (*browser.Browser, error) {
	o.Proxy, o.SPKI, o.CACertFile = proxy, ca.SPKIHash(), ca.CertPath
	b, err := browser.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	for _, n := range b.Notes {
		fmt.Fprintln(stderr, "corscope: "+n)
	}
	return b, nil
}

func newDemoCmd(c *common) *cobra.Command {
	var noTUI bool
	var driver, browserPath string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a small app with the classic CORS mistakes and show what corscope finds",
		Long: `demo starts, on free loopback ports, a frontend (http://localhost:PORT, like a
dev server) and an API that makes the classic CORS mistakes, plus two calls
that work. Headless Chromium loads the page through corscope's proxy; without
Chromium, the probe engine sends the requests the browser would (the demo says
which ran). Then the interface opens on those flows. The proxy keeps running:
B opens the demo page in a browser. The proxy signs HTTPS with the CA in
--home, as corscope does.

--no-tui (or no terminal) prints one line per call and the report 'corscope
analyze' gives on the capture, and exits. Exit status: 0 when the demo ran
(the blocked requests in the report are the planted mistakes), 1 when it
could not run.`,
		Example: `  corscope demo
  corscope demo --no-tui --driver probe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			drv, err := demo.ParseDriver(driver)
			if err != nil {
				return exitCode(2, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			d, err := demo.Start(ctx, demo.Options{Driver: drv, BrowserPath: browserPath, Home: c.home, MaxBody: c.maxBody, MaxFlows: c.maxFlows})
			if err != nil {
				return setupError(cmd, err)
			}
			defer func() {
				if err := d.Close(); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "corscope: demo clean-up: "+err.Error())
				}
			}()
			if noTUI || !interactive(cmd) {
				return d.WriteReport(cmd.OutOrStdout())
			}
			return ui.Run(ctx, ui.Options{
				Store: d.Proxy.Store(), Analyzer: analyze.NewAnalyzer(), Live: true,
				ListenAddr: d.Proxy.Addr(), Home: c.home, Info: d.Notice(),
				Export: harWriter(false), LaunchBrowser: d.LaunchBrowser,
				TLS: func() ui.TLSStats {
					in, rej := d.Proxy.TLSStats()
					return ui.TLSStats{Intercepted: in, Rejected: rej}
				},
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&noTUI, "no-tui", false, "print the report instead of opening the interface")
	fs.StringVar(&driver, "driver", "auto", "what sends the page's calls: chromium (headless), probe (no browser), or auto (chromium when installed)")
	fs.StringVar(&browserPath, "browser", "", "the Chromium executable (default: the first Chromium, Chrome or Edge found)")
	return cmd
}

func newCACmd(c *common) *cobra.Command {
	var pem, spki, path bool
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Show corscope's per-install CA and how to trust or remove it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := capture.LoadOrCreateCA(c.home)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case pem:
				_, err = out.Write(ca.CertPEM())
			case spki:
				_, err = fmt.Fprintln(out, ca.SPKIHash())
			case path:
				_, err = fmt.Fprintln(out, ca.CertPath)
			default:
				_, err = io.WriteString(out, ca.TrustInstructions(capture.DefaultListen))
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&pem, "pem", false, "print the CA certificate in PEM")
	fs.BoolVar(&spki, "spki", false, "print the base64 SHA-256 of the CA's public key (for --ignore-certificate-errors-spki-list)")
	fs.BoolVar(&path, "path", false, "print where the CA files are")
	cmd.MarkFlagsMutuallyExclusive("pem", "spki", "path")
	return cmd
}

// flowCount is "1 flow" or "N flows".
func flowCount(n int) string {
	if n == 1 {
		return "1 flow"
	}
	return strconv.Itoa(n) + " flows"
}
