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
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/fang"
	"github.com/spf13/cobra"

	"github.com/corscope/corscope/capture"
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
	allowRemote      []string
}

func main() {
	root := newRootCmd()
	opts := []fang.Option{fang.WithErrorHandler(errorHandler)}
	if version != "" {
		opts = append(opts, fang.WithVersion(version))
	}
	if err := fang.Execute(context.Background(), root, opts...); err != nil {
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
	fs.StringVar(&pf.listen, "listen", "127.0.0.1:8080", "address the proxy listens on")
	fs.StringVar(&pf.har, "har", "", "write the capture to this HAR file on exit")
	fs.StringArrayVar(&pf.upstreamCA, "upstream-ca", nil, "PEM file of extra roots to trust for upstream TLS (repeatable)")
	fs.BoolVar(&pf.insecureUpstream, "insecure-upstream", false, "do not verify upstream TLS certificates (loudly reported)")
	fs.StringArrayVar(&pf.allowRemote, "allow-remote", nil, "also accept proxy clients from this CIDR (repeatable); loopback only otherwise")
}

func runRoot(cmd *cobra.Command, c *common, pf *proxyFlags) error {
	return errors.New("not implemented yet")
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
			return errors.New("not implemented yet")
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
			return errors.New("not implemented yet")
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
			return exitCode(2, errors.New("not implemented yet"))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&format, "format", "text", "report format: text, markdown or json")
	fs.StringVar(&framework, "framework", "", "show the fix for this framework only (default: all, briefly)")
	fs.BoolVar(&onlyFailures, "only-failures", false, "leave out warnings on allowed requests")
	return cmd
}

func newProbeCmd(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "probe --origin ORIGIN [-X METHOD] [-H 'K: V']... [--credentials] URL",
		Short: "Ask a server the questions a browser would, without a browser",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitCode(2, errors.New("not implemented yet"))
		},
	}
}

func newBrowserCmd(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "browser [URL]",
		Short: "Start Chromium with a fresh profile whose traffic goes through corscope",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("not implemented yet")
		},
	}
}

func newDemoCmd(c *common) *cobra.Command {
	var noTUI bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a small app with the classic CORS mistakes and show what corscope finds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("not implemented yet")
		},
	}
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "print the report instead of opening the interface")
	return cmd
}

func newCACmd(c *common) *cobra.Command {
	var pem, spki, path bool
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Show corscope's per-install CA and how to trust or remove it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New("not implemented yet")
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&pem, "pem", false, "print the CA certificate in PEM")
	fs.BoolVar(&spki, "spki", false, "print the base64 SHA-256 of the CA's public key (for --ignore-certificate-errors-spki-list)")
	fs.BoolVar(&path, "path", false, "print where the CA files are")
	cmd.MarkFlagsMutuallyExclusive("pem", "spki", "path")
	return cmd
}
