package capture

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// CA file names inside the home directory. The key file holds the private
// key and the certificate together (it is the one source of truth, created
// atomically); the certificate file is a copy for trust stores.
const (
	caKeyFile  = "ca-key.pem"
	caCertFile = "ca-cert.pem"
)

// caValidity is how long a new CA is valid. Short enough that a forgotten
// trusted CA does not linger for a decade, long enough not to nag.
const caValidity = 2 * 365 * 24 * time.Hour

// CA is corscope's per-install certificate authority. It signs the leaf
// certificates the proxy shows the browser for intercepted HTTPS.
type CA struct {
	// Certificate is the CA certificate with its P-256 private key;
	// Certificate.Leaf is the parsed certificate.
	Certificate tls.Certificate
	// CertPath is the PEM certificate to import into trust stores.
	CertPath string
	// KeyPath is the private key (mode 0600). Never share it.
	KeyPath string
}

// LoadOrCreateCA returns the CA kept in dir, creating dir (mode 0700) and a
// new P-256 CA in it on first use.
//
// It refuses a key file that other users can read, and a CA that has
// expired: either means the CA can no longer be trusted as it is, and the
// error says what to do.
// CACertPath returns where the CA certificate of the corscope home dir is
// (or will be), without creating anything: for clients that only need to
// trust a running corscope's CA, such as 'corscope probe --proxy'.
func CACertPath(dir string) string { return filepath.Join(dir, caCertFile) }

func LoadOrCreateCA(dir string) (*CA, error) {
	if dir == "" {
		return nil, errors.New("no directory for the CA: set --home or CORSCOPE_HOME")
	}
	ca := &CA{CertPath: CACertPath(dir), KeyPath: filepath.Join(dir, caKeyFile)}
	fi, err := os.Stat(ca.KeyPath)
	switch {
	case err == nil:
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("the CA key %s is readable by other users (mode %04o): anyone who can read it can intercept your HTTPS traffic; fix it with 'chmod 600 %s', or delete %s and %s to make a new CA",
				ca.KeyPath, fi.Mode().Perm(), ca.KeyPath, ca.KeyPath, ca.CertPath)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := createCA(dir, ca.KeyPath); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("cannot read the CA key: %w", err)
	}
	if err := ca.load(); err != nil {
		return nil, err
	}
	if err := ca.writeCertCopy(); err != nil {
		return nil, err
	}
	return ca, nil
}

// load reads the key file (key and certificate PEM blocks).
func (ca *CA) load() error {
	data, err := os.ReadFile(ca.KeyPath)
	if err != nil {
		return fmt.Errorf("cannot read the CA key: %w", err)
	}
	cert, err := tls.X509KeyPair(data, data)
	if err != nil {
		return fmt.Errorf("the CA file %s is damaged (%v): delete it and %s to make a new CA, then trust the new one", ca.KeyPath, err, ca.CertPath)
	}
	if _, ok := cert.PrivateKey.(*ecdsa.PrivateKey); !ok {
		return fmt.Errorf("the CA key in %s is not an ECDSA key: delete it and %s to make a new CA", ca.KeyPath, ca.CertPath)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("the CA certificate in %s is damaged: %w", ca.KeyPath, err)
		}
	}
	if !cert.Leaf.IsCA {
		return fmt.Errorf("the certificate in %s is not a CA: delete it and %s to make a new CA", ca.KeyPath, ca.CertPath)
	}
	if time.Now().After(cert.Leaf.NotAfter.Add(-24 * time.Hour)) {
		return fmt.Errorf("the corscope CA expired (or expires within a day) on %s: remove it from your trust stores (see 'corscope ca'), delete %s and %s, and run corscope again to make a new one",
			cert.Leaf.NotAfter.Format(time.DateOnly), ca.KeyPath, ca.CertPath)
	}
	ca.Certificate = cert
	return nil
}

// createCA generates a CA and publishes it at keyPath. The file appears
// whole or not at all; when two processes race, the first link wins and
// the loser's CA is discarded, so both end up using the same one.
func createCA(dir, keyPath string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the CA directory: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("cannot generate the CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"corscope"},
			// The host and a short random id let users find (and delete)
			// this CA among others in a trust store.
			CommonName: fmt.Sprintf("corscope local CA %s %x", host, serial.Bytes()[:4]),
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("cannot create the CA certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("cannot encode the CA key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)

	tmp, err := os.CreateTemp(dir, ".ca-key-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write the CA key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot protect the CA key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the CA key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the CA key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the CA key: %w", err)
	}
	// Link, unlike rename, fails when the target exists: a concurrent
	// first run keeps the CA that got there first.
	if err := os.Link(tmp.Name(), keyPath); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cannot write the CA key: %w", err)
	}
	return nil
}

// writeCertCopy (re)writes the certificate-only file when it is missing or
// does not match the key file.
func (ca *CA) writeCertCopy() error {
	want := ca.CertPEM()
	if have, err := os.ReadFile(ca.CertPath); err == nil && string(have) == string(want) {
		return nil
	}
	if err := writeFileAtomic(ca.CertPath, want, 0o644); err != nil {
		return fmt.Errorf("cannot write the CA certificate: %w", err)
	}
	return nil
}

// CertPEM returns the CA certificate in PEM.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate.Certificate[0]})
}

// SPKIHash returns the base64 SHA-256 of the CA's SubjectPublicKeyInfo, the
// form Chromium's --ignore-certificate-errors-spki-list takes.
func (ca *CA) SPKIHash() string {
	sum := sha256.Sum256(ca.Certificate.Leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Name returns the CA's common name, as trust stores list it.
func (ca *CA) Name() string { return ca.Certificate.Leaf.Subject.CommonName }

// NotAfter returns when the CA expires.
func (ca *CA) NotAfter() time.Time { return ca.Certificate.Leaf.NotAfter }

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("cannot generate a serial number: %w", err)
	}
	// A serial with a zero leading byte would be shorter than 128 bits;
	// setting the top bit keeps every serial exactly 16 bytes, which also
	// keeps serial.Bytes()[:4] valid.
	return serial.SetBit(serial, 127, 1), nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so readers see the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
