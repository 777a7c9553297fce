package capture

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoadOrCreateCAMakesAPrivateP256CA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("home directory mode %04o, want 0700", m)
	}
	if m := mode(ca.KeyPath); m != 0o600 {
		t.Errorf("key file mode %04o, want 0600", m)
	}
	if m := mode(ca.CertPath); m != 0o644 {
		t.Errorf("certificate file mode %04o, want 0644", m)
	}
	leaf := ca.Certificate.Leaf
	key, ok := ca.Certificate.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("CA key is %T, want a P-256 ECDSA key", ca.Certificate.PrivateKey)
	}
	if !leaf.IsCA || !leaf.BasicConstraintsValid || !leaf.MaxPathLenZero {
		t.Errorf("CA constraints: IsCA=%v BasicConstraintsValid=%v MaxPathLenZero=%v", leaf.IsCA, leaf.BasicConstraintsValid, leaf.MaxPathLenZero)
	}
	if leaf.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Error("CA cannot sign certificates (no KeyUsageCertSign)")
	}
	if n := leaf.SerialNumber.BitLen(); n != 128 {
		t.Errorf("serial has %d bits, want 128", n)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life < 700*24*time.Hour || life > 740*24*time.Hour {
		t.Errorf("validity %v, want about two years", life)
	}
	if !strings.HasPrefix(ca.Name(), "corscope local CA ") {
		t.Errorf("CA name %q does not say it is corscope's", ca.Name())
	}
	// The certificate file holds only the certificate, and it is the CA's.
	data, _ := os.ReadFile(ca.CertPath)
	if strings.Contains(string(data), "PRIVATE KEY") {
		t.Fatal("the certificate file contains the private key")
	}
	if string(data) != string(ca.CertPEM()) {
		t.Fatal("certificate file differs from CertPEM()")
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("CertPEM is not a PEM certificate")
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if want := base64.StdEncoding.EncodeToString(sum[:]); ca.SPKIHash() != want {
		t.Errorf("SPKIHash = %s, want %s", ca.SPKIHash(), want)
	}
}

func TestLoadOrCreateCAReusesTheSameCA(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.SPKIHash() != second.SPKIHash() || first.Certificate.Leaf.SerialNumber.Cmp(second.Certificate.Leaf.SerialNumber) != 0 {
		t.Fatal("second load made a new CA instead of reusing the first")
	}
}

func TestLoadOrCreateCAConcurrentFirstRunsAgreeOnOneCA(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	hashes := make([]string, 8)
	errs := make([]error, 8)
	for i := range hashes {
		wg.Go(func() {
			ca, err := LoadOrCreateCA(dir)
			errs[i] = err
			if err == nil {
				hashes[i] = ca.SPKIHash()
			}
		})
	}
	wg.Wait()
	for i := range hashes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if hashes[i] != hashes[0] {
			t.Fatalf("concurrent first runs produced different CAs: %v", hashes)
		}
	}
}

func TestLoadOrCreateCARefusesAKeyOthersCanRead(t *testing.T) {
	for _, m := range []os.FileMode{0o644, 0o640, 0o604} {
		t.Run(m.String(), func(t *testing.T) {
			dir := t.TempDir()
			ca, err := LoadOrCreateCA(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(ca.KeyPath, m); err != nil {
				t.Fatal(err)
			}
			_, err = LoadOrCreateCA(dir)
			if err == nil {
				t.Fatalf("a %04o key was accepted", m)
			}
			for _, want := range []string{ca.KeyPath, "readable by other users", "chmod 600"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestLoadOrCreateCARefusesADamagedKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, caKeyFile), []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateCA(dir)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key file gave %v, want an error saying it is damaged", err)
	}
}

func TestLoadOrCreateCARewritesAMissingCertificateCopy(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(ca.CertPath)
	if _, err := LoadOrCreateCA(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ca.CertPath)
	if err != nil || string(data) != string(ca.CertPEM()) {
		t.Fatalf("certificate copy not restored: %v", err)
	}
}

func TestTrustInstructionsNameTheFilesFlagAndRemoval(t *testing.T) {
	ca := testCA(t)
	text := ca.TrustInstructions("127.0.0.1:9999")
	for _, want := range []string{ca.CertPath, ca.SPKIHash(), "--ignore-certificate-errors-spki-list=", "<-loopback>", "127.0.0.1:9999", "Firefox", "update-ca-certificates", "Remove it", ca.Name()} {
		if !strings.Contains(text, want) {
			t.Errorf("trust instructions do not mention %q", want)
		}
	}
}
