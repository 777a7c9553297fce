package browser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxTmpDirLen keeps Chromium's socket path ($TMPDIR/org.chromium.Chromium.
// XXXXXX/SingletonSocket, about 45 more bytes) under the 108-byte limit.
const maxTmpDirLen = 60

// Options say which browser to start and how to reach corscope.
type Options struct {
	Family Family
	// Path is the browser executable; empty means Find(Family).
	Path string
	// Proxy is the host:port corscope listens on.
	Proxy string
	// Direct starts Chromium with no proxy at all (Proxy must be empty).
	// The agreement suite uses it for its control run: the same launch,
	// minus corscope, to prove the proxy does not change what the browser
	// decides.
	Direct bool
	// SPKI is the base64 SHA-256 of the CA's SubjectPublicKeyInfo: Chromium
	// then accepts corscope's leaf certificates without the CA installed.
	SPKI string
	// CACertFile is the CA certificate (PEM), imported into a Firefox
	// profile when NSS's certutil is available.
	CACertFile string
	// URL is the first page to open; empty opens a blank page.
	URL string
	// Headless runs without a window (tests, CI).
	Headless bool
	// RemoteDebugging opens the DevTools protocol on a free loopback port
	// (Chromium only); DevToolsURL then returns its address.
	RemoteDebugging bool
	// Args are appended to the generated command line.
	Args []string
	// Output receives the browser's stdout and stderr; nil discards them
	// (Chromium logs a lot of noise about the missing network).
	Output io.Writer
}

// Browser is a running browser with its throwaway profile.
type Browser struct {
	Path    string
	Args    []string
	Profile string
	// Notes are things the user should know, e.g. that HTTPS pages will
	// warn because the CA could not be imported.
	Notes []string

	cmd      *exec.Cmd
	extra    []string // more directories to remove with the profile
	done     chan struct{}
	err      error
	cleanup  sync.Once
	cleanErr error
}

// Start launches the browser with a fresh temporary profile. The profile is
// removed when the browser exits (Wait) or is stopped (Stop).
func Start(ctx context.Context, o Options) (*Browser, error) {
	if o.Proxy == "" && !o.Direct {
		return nil, errors.New("browser: no proxy address given")
	}
	if o.Direct && (o.Proxy != "" || o.Family == Firefox) {
		return nil, errors.New("browser: Direct is for Chromium without a proxy address")
	}
	path := o.Path
	if path == "" {
		p, err := Find(o.Family)
		if err != nil {
			return nil, err
		}
		path = p
	} else if !isExecutable(path) {
		return nil, fmt.Errorf("browser: %s is not an executable file", path)
	}
	profile, err := os.MkdirTemp("", "corscope-profile-")
	if err != nil {
		return nil, fmt.Errorf("browser: create a temporary profile: %w", err)
	}
	b := &Browser{Path: path, Profile: profile, done: make(chan struct{})}
	switch o.Family {
	case Firefox:
		notes, err := prepareFirefoxProfile(profile, o)
		if err != nil {
			os.RemoveAll(profile)
			return nil, err
		}
		b.Notes = notes
		b.Args = FirefoxArgs(o, profile)
	default:
		b.Args = ChromiumArgs(o, profile)
	}

	cmd := exec.Command(path, b.Args...)
	// The browser's own temporary files (Chromium's singleton socket
	// directory among them) go inside the profile, so they are removed
	// with it even when the browser is killed. Unix socket paths are
	// limited to 108 bytes: a long profile path gets a short directory.
	tmp := filepath.Join(profile, "tmp")
	if len(tmp) > maxTmpDirLen {
		if short, err := os.MkdirTemp("/tmp", "ccs"); err == nil {
			tmp = short
			b.extra = append(b.extra, short)
		}
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("browser: create a temporary directory: %w", err)
	}
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group, so stopping the browser also stops its helpers
	// (renderers, GPU and network processes).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("browser: start %s: %w", path, err)
	}
	b.cmd = cmd
	go func() {
		b.err = cmd.Wait()
		close(b.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = b.Stop() // its error is the process's exit status, reported by Wait
		case <-b.done:
		}
	}()
	return b, nil
}

// chromiumBypass is Chromium's proxy bypass list.
//
// <-loopback> comes first and matters most: without it Chromium never sends
// localhost, 127/8 and [::1] through a proxy, so the localhost:3000 →
// localhost:8080 case would be invisible. The hosts after it are the
// browser's own housekeeping (network time, component updates, account
// checks), which Chromium 156 contacts at start even with
// --disable-background-networking; going direct keeps them out of the
// user's capture.
const chromiumBypass = "<-loopback>;clients2.google.com;update.googleapis.com;accounts.google.com"

// ChromiumArgs returns the command line for a Chromium-family browser using
// profile as its user data directory.
func ChromiumArgs(o Options, profile string) []string {
	args := []string{"--user-data-dir=" + profile}
	if o.Direct {
		args = append(args, "--no-proxy-server")
	} else {
		args = append(args, "--proxy-server=http://"+o.Proxy, "--proxy-bypass-list="+chromiumBypass)
	}
	args = append(args,
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-default-apps",
		"--disable-quic",
	)
	if o.SPKI != "" {
		args = append(args, "--ignore-certificate-errors-spki-list="+o.SPKI)
	}
	if o.Headless {
		args = append(args, "--headless", "--disable-gpu")
	}
	if o.RemoteDebugging {
		args = append(args, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1")
	}
	// Chromium refuses to start as root with its sandbox on.
	if runtime.GOOS == "linux" && os.Geteuid() == 0 {
		args = append(args, "--no-sandbox")
	}
	args = append(args, o.Args...)
	url := o.URL
	if url == "" {
		url = "about:blank"
	}
	return append(args, url)
}

// FirefoxArgs returns the command line for Firefox using profile.
func FirefoxArgs(o Options, profile string) []string {
	args := []string{"-profile", profile, "-no-remote", "-new-instance"}
	if o.Headless {
		args = append(args, "-headless")
	}
	args = append(args, o.Args...)
	if o.URL != "" {
		args = append(args, o.URL)
	}
	return args
}

// prepareFirefoxProfile writes the proxy prefs and, when NSS's certutil is
// installed, imports corscope's CA into the profile's certificate store.
func prepareFirefoxProfile(profile string, o Options) ([]string, error) {
	host, port, err := net.SplitHostPort(o.Proxy)
	if err != nil {
		return nil, fmt.Errorf("browser: proxy address %q: %w", o.Proxy, err)
	}
	prefs := []string{
		`user_pref("network.proxy.type", 1);`,
		fmt.Sprintf(`user_pref("network.proxy.http", %q);`, host),
		fmt.Sprintf(`user_pref("network.proxy.http_port", %s);`, port),
		fmt.Sprintf(`user_pref("network.proxy.ssl", %q);`, host),
		fmt.Sprintf(`user_pref("network.proxy.ssl_port", %s);`, port),
		// Firefox's own services go direct, like Chromium's housekeeping
		// hosts (chromiumBypass); localhost is NOT in the list.
		fmt.Sprintf(`user_pref("network.proxy.no_proxies_on", %q);`, firefoxBypass),
		// Firefox never proxies localhost unless told to.
		`user_pref("network.proxy.allow_hijacking_localhost", true);`,
		`user_pref("browser.shell.checkDefaultBrowser", false);`,
		`user_pref("browser.startup.homepage_override.mstone", "ignore");`,
		`user_pref("datareporting.policy.dataSubmissionEnabled", false);`,
		`user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);`,
		`user_pref("app.update.enabled", false);`,
		`user_pref("network.captive-portal-service.enabled", false);`,
	}
	// Firefox's own background traffic (remote settings, updates, safe
	// browsing, telemetry, region and geolocation look-ups) would fill the
	// user's capture with dozens of mozilla.org flows before the first
	// page loads.
	prefs = append(prefs, firefoxQuiet...)
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(strings.Join(prefs, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("browser: write Firefox prefs: %w", err)
	}
	if o.CACertFile == "" {
		return []string{"no CA certificate given: HTTPS pages will show certificate warnings"}, nil
	}
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		return []string{"NSS certutil not found (install libnss3-tools): import " + o.CACertFile +
			" in Firefox under Settings → Privacy & Security → Certificates, or HTTPS pages will show warnings"}, nil
	}
	db := "sql:" + profile
	if out, err := exec.Command(certutil, "-N", "-d", db, "--empty-password").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("browser: create Firefox certificate store: %v: %s", err, out)
	}
	if out, err := exec.Command(certutil, "-A", "-d", db, "-t", "C,,", "-n", "corscope local CA", "-i", o.CACertFile).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("browser: import the CA into the Firefox profile: %v: %s", err, out)
	}
	return nil, nil
}

// firefoxQuiet are prefs that stop Firefox's background requests.
var firefoxQuiet = []string{
	`user_pref("app.normandy.enabled", false);`,
	`user_pref("app.update.auto", false);`,
	`user_pref("browser.discovery.enabled", false);`,
	`user_pref("browser.newtabpage.enabled", false);`,
	`user_pref("browser.newtabpage.activity-stream.feeds.system.topstories", false);`,
	`user_pref("browser.newtabpage.activity-stream.feeds.topsites", false);`,
	`user_pref("browser.ping-centre.telemetry", false);`,
	`user_pref("browser.region.network.url", "");`,
	`user_pref("browser.region.update.enabled", false);`,
	`user_pref("browser.safebrowsing.blockedURIs.enabled", false);`,
	`user_pref("browser.safebrowsing.downloads.enabled", false);`,
	`user_pref("browser.safebrowsing.malware.enabled", false);`,
	`user_pref("browser.safebrowsing.phishing.enabled", false);`,
	`user_pref("browser.safebrowsing.provider.mozilla.updateURL", "");`,
	`user_pref("browser.startup.page", 0);`,
	`user_pref("browser.topsites.contile.enabled", false);`,
	`user_pref("datareporting.healthreport.uploadEnabled", false);`,
	`user_pref("extensions.blocklist.enabled", false);`,
	`user_pref("extensions.getAddons.cache.enabled", false);`,
	`user_pref("extensions.update.enabled", false);`,
	`user_pref("geo.provider.network.url", "");`,
	`user_pref("media.gmp-manager.updateEnabled", false);`,
	`user_pref("media.gmp-manager.url", "");`,
	`user_pref("messaging-system.rsexperimentloader.enabled", false);`,
	`user_pref("network.connectivity-service.enabled", false);`,
	`user_pref("network.dns.disablePrefetch", true);`,
	`user_pref("network.prefetch-next", false);`,
	// Remote settings: a server that answers nothing, instead of
	// firefox.settings.services.mozilla.com.
	`user_pref("services.settings.server", "data:,#remote-settings-off");`,
	`user_pref("toolkit.telemetry.enabled", false);`,
	`user_pref("toolkit.telemetry.server", "");`,
	`user_pref("datareporting.usage.uploadEnabled", false);`,
	`user_pref("dom.push.enabled", false);`,
}

// firefoxBypass are Firefox's own service hosts, sent direct so that what
// the prefs above cannot switch off stays out of the user's capture.
const firefoxBypass = "firefox.settings.services.mozilla.com, firefox-settings-attachments.cdn.mozilla.net, " +
	"content-signature-2.cdn.mozilla.net, push.services.mozilla.com, incoming.telemetry.mozilla.org, " +
	"location.services.mozilla.com, aus5.mozilla.org, shavar.services.mozilla.com, " +
	"tracking-protection.cdn.mozilla.net, normandy.cdn.mozilla.net"

// Done is closed when the browser process has exited.
func (b *Browser) Done() <-chan struct{} { return b.done }

// Wait waits for the browser to exit and removes its profile. A browser the
// user closed normally is not an error.
func (b *Browser) Wait() error {
	<-b.done
	if err := b.removeProfile(); err != nil {
		return err
	}
	var ee *exec.ExitError
	if errors.As(b.err, &ee) {
		return nil
	}
	return b.err
}

// Stop ends the browser (politely, then by force after 3 s) and removes its
// profile.
func (b *Browser) Stop() error {
	if b.cmd != nil && b.cmd.Process != nil {
		pgid := -b.cmd.Process.Pid
		select {
		case <-b.done:
		default:
			_ = syscall.Kill(pgid, syscall.SIGTERM)
			select {
			case <-b.done:
			case <-time.After(3 * time.Second):
				_ = syscall.Kill(pgid, syscall.SIGKILL)
				<-b.done
			}
		}
	}
	return b.removeProfile()
}

func (b *Browser) removeProfile() error {
	b.cleanup.Do(func() {
		// Chromium's helpers may still be writing for a moment after
		// the main process exits; retry briefly.
		for _, dir := range b.extra {
			os.RemoveAll(dir)
		}
		for i := 0; i < 10; i++ {
			if b.cleanErr = os.RemoveAll(b.Profile); b.cleanErr == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if b.cleanErr != nil {
		return fmt.Errorf("browser: remove the temporary profile %s: %w", b.Profile, b.cleanErr)
	}
	return nil
}

// DevToolsURL waits until a browser started with RemoteDebugging has opened
// its DevTools port and returns the browser's WebSocket debugger address.
func (b *Browser) DevToolsURL(ctx context.Context) (string, error) {
	file := filepath.Join(b.Profile, "DevToolsActivePort")
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if f, err := os.Open(file); err == nil {
			sc := bufio.NewScanner(f)
			var lines []string
			for sc.Scan() {
				lines = append(lines, strings.TrimSpace(sc.Text()))
			}
			f.Close()
			if len(lines) >= 2 && lines[0] != "" && lines[1] != "" {
				return "ws://127.0.0.1:" + lines[0] + lines[1], nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("browser: DevTools did not start: %w", ctx.Err())
		case <-b.done:
			return "", fmt.Errorf("browser: exited before DevTools started: %v", b.err)
		case <-tick.C:
		}
	}
}
