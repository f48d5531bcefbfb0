package freshtoken

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

var allAlgs = []string{
	"EdDSA", "ES256", "ES384", "ES512",
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"HS256", "HS384", "HS512",
}

// checkSigns makes a Manager of cfg, issues a pair and verifies it, and
// checks that the tokens were signed with alg.
func checkSigns(t *testing.T, cfg Config, alg string) *Manager {
	t.Helper()
	m, _ := newTestManager(t, cfg)
	p := mustIssue(t, m, "user-42")
	if _, err := m.RequireAccess(context.Background(), p.Access); err != nil {
		t.Fatalf("RequireAccess: %v", err)
	}
	if _, err := m.RequireRefresh(context.Background(), p.Refresh); err != nil {
		t.Fatalf("RequireRefresh: %v", err)
	}
	if got := decodeSegment(t, p.Access, 0)["alg"]; got != alg {
		t.Errorf("token signed with %v, want %s", got, alg)
	}
	return m
}

// sameKey reports whether a and b are the same key, in the same form.
func equalKeys(t *testing.T, a, b any) bool {
	t.Helper()
	ma, err := MarshalKey(a)
	if err != nil {
		t.Fatalf("MarshalKey(%T): %v", a, err)
	}
	mb, err := MarshalKey(b)
	if err != nil {
		t.Fatalf("MarshalKey(%T): %v", b, err)
	}
	return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) && bytes.Equal(ma, mb)
}

func TestKeyRoundTrip(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			k, err := GenerateKey(alg)
			if err != nil {
				t.Fatalf("GenerateKey: %v", err)
			}
			data, err := MarshalKey(k)
			if err != nil {
				t.Fatalf("MarshalKey: %v", err)
			}
			parsed, err := ParseKey(data)
			if err != nil {
				t.Fatalf("ParseKey(MarshalKey(key)): %v", err)
			}
			if !equalKeys(t, k, parsed) {
				t.Fatalf("ParseKey gave a %T other than the %T written", parsed, k)
			}
			signer := checkSigns(t, Config{Key: parsed, Algorithm: alg}, alg)
			if strings.HasPrefix(alg, "HS") {
				return
			}
			// The public half, written and read back, verifies the tokens.
			pub, err := MarshalKey(k.(interface{ Public() crypto.PublicKey }).Public())
			if err != nil {
				t.Fatalf("MarshalKey(public): %v", err)
			}
			if !bytes.Contains(pub, []byte("-----BEGIN PUBLIC KEY-----")) {
				t.Errorf("public key written as %.30q, want PKIX PEM", pub)
			}
			pk, err := ParseKey(pub)
			if err != nil {
				t.Fatalf("ParseKey(public): %v", err)
			}
			// A retired key used with an explicit Algorithm is given as a
			// jwk.Key carrying "alg" (see Config.VerifyKeys).
			vk, err := withAlg(pk, alg)
			if err != nil {
				t.Fatal(err)
			}
			verifier, _ := newTestManager(t, Config{Key: testKeys().hs256, VerifyKeys: []any{vk}})
			p := mustIssue(t, signer, "user-42")
			if _, err := verifier.RequireAccess(context.Background(), p.Access); err != nil {
				t.Errorf("public key read back does not verify: %v", err)
			}
		})
	}
}

func TestGenerateKeySizes(t *testing.T) {
	for alg, want := range map[string]string{
		"EdDSA": "an Ed25519 private key", "ES256": "an ECDSA P-256 private key",
		"ES384": "an ECDSA P-384 private key", "ES512": "an ECDSA P-521 private key",
		"PS256": "an RSA private key of 3072 bits",
		"HS256": "an HMAC secret of 32 bytes", "HS384": "an HMAC secret of 48 bytes", "HS512": "an HMAC secret of 64 bytes",
	} {
		k, err := GenerateKey(alg)
		if err != nil {
			t.Fatalf("GenerateKey(%q): %v", alg, err)
		}
		if got := describeKey(k); got != want {
			t.Errorf("GenerateKey(%q) made %s, want %s", alg, got, want)
		}
	}
}

func TestGenerateKeyRefusesUnknownAlgorithms(t *testing.T) {
	for _, alg := range []string{"", "none", "hs256", "RSA-OAEP", "ES256K"} {
		k, err := GenerateKey(alg)
		if k != nil || !errors.Is(err, ErrInvalidKey) {
			t.Errorf("GenerateKey(%q) = %T, %v; want nil, ErrInvalidKey", alg, k, err)
		}
	}
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkcs8PEM(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("PRIVATE KEY", der)
}

func pkixPEM(t *testing.T, k any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("PUBLIC KEY", der)
}

func sec1DER(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// jwkJSON writes raw as a JWK and lets edit change its members.
func jwkJSON(t *testing.T, raw any, edit func(map[string]any)) string {
	t.Helper()
	b, err := json.Marshal(mustJWK(t, raw, nil))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	b, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseKeyFormats(t *testing.T) {
	k := testKeys()
	ecDER := sec1DER(t, k.p256)
	ecParams := "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
	tests := []struct {
		name   string
		input  string
		want   any
		reason string
	}{
		{"PKCS #8 Ed25519", pkcs8PEM(t, k.ed), k.ed, "openssl genpkey -algorithm ed25519"},
		{"PKCS #1 RSA", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa)), k.rsa, "openssl genrsa, older tools"},
		{"SEC 1 EC", pemOf("EC PRIVATE KEY", ecDER), k.p256, "openssl ecparam -genkey -noout"},
		{"SEC 1 EC after its parameters", ecParams + pemOf("EC PRIVATE KEY", ecDER), k.p256, "openssl ecparam -genkey writes the curve first"},
		{"PKIX public", pkixPEM(t, &k.p384.PublicKey), &k.p384.PublicKey, "openssl pkey -pubout"},
		{"PKCS #1 RSA public", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)), &k.rsa.PublicKey, "openssl rsa -RSAPublicKey_out"},
		{"whitespace and CRLF", "\r\n  " + strings.ReplaceAll(pkcs8PEM(t, k.ed), "\n", "\r\n") + "\n\n", k.ed, "files edited on Windows, secrets pasted with a newline"},
		{"JWK oct", `{"kty":"oct","k":"` + base64.RawURLEncoding.EncodeToString(k.hs384) + `"}`, k.hs384, "an HMAC secret comes as []byte"},
		{"JWK EC private", jwkJSON(t, k.p521, nil), k.p521, "a JWK without alg or kid is the raw key"},
		{"JWK OKP public", " " + jwkJSON(t, k.ed.Public(), nil) + "\n", k.ed.Public(), "surrounding whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey([]byte(tt.input))
			if err != nil {
				t.Fatalf("ParseKey: %v (%s)", err, tt.reason)
			}
			if !equalKeys(t, got, tt.want) {
				t.Errorf("ParseKey gave %s, want %s (%s)", describeKey(got), describeKey(tt.want), tt.reason)
			}
		})
	}
}

// A JWK's "alg" and "kid" survive ParseKey, and New uses them.
func TestParseKeyKeepsJWKAlgAndKid(t *testing.T) {
	k := testKeys()
	data := jwkJSON(t, k.hs512, func(m map[string]any) { m["alg"], m["kid"] = "HS512", "2026-03" })
	key, err := ParseKey([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := key.(jwk.Key); !ok {
		t.Fatalf("ParseKey gave a %T, want the jwk.Key", key)
	}
	m := checkSigns(t, Config{Key: key}, "HS512")
	if m.signer().id != "2026-03" {
		t.Errorf("kid = %q, want the JWK's 2026-03", m.signer().id)
	}
	again, err := MarshalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKey(again)
	if err != nil || !equalKeys(t, key, back) {
		t.Errorf("MarshalKey then ParseKey lost the JWK: %v", err)
	}
}

// materialRun finds what might be key material in an error text: a long
// run of base64 characters.
var materialRun = regexp.MustCompile(`[A-Za-z0-9_+/=-]{32,}`)

func TestParseKeyRefuses(t *testing.T) {
	k := testKeys()
	edPEM := pkcs8PEM(t, k.ed)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name, input, want, reason string
	}{
		{"empty", "", "no key: the input is empty", "an unset secret"},
		{"whitespace", " \n\t", "no key: the input is empty", "a secret that is only a newline"},
		{"garbage", "hunter2", "neither a PEM block nor a JWK JSON object", "a password is not a key"},
		{"base64 of PEM", base64.StdEncoding.EncodeToString([]byte(edPEM)), "the key looks base64-encoded PEM: decode it first", "Kubernetes secrets in YAML are base64"},
		{"truncated PEM", edPEM[:len(edPEM)/2], "no complete PEM block: the input is truncated or damaged", "a copy cut short"},
		{"no END line", strings.TrimSuffix(edPEM, "-----END PRIVATE KEY-----\n"), "no complete PEM block", "a copy cut short"},
		{"damaged DER", pemOf("PRIVATE KEY", []byte("not DER at all")), `"PRIVATE KEY" block: its bytes are not a key in the format its type names`, "the block's bytes are no key"},
		{"mislabelled DER", strings.ReplaceAll(pkcs8PEM(t, k.p256), "PRIVATE KEY", "EC PRIVATE KEY"), `"EC PRIVATE KEY" block: x509:`, "x509 says which format it is"},
		{"certificate", pemOf("CERTIFICATE", selfSigned(t, k.p256)), `"CERTIFICATE" block: a certificate, not a key`, "a certificate is not a signing key"},
		{"two blocks", edPEM + edPEM, `several PEM blocks (the first is "PRIVATE KEY"): want exactly one key`, "which one would be meant?"},
		{"key and certificate", edPEM + pemOf("CERTIFICATE", selfSigned(t, k.p256)), "several PEM blocks", "a bundle is not a key"},
		{"text after", edPEM + "trailing", "text after the PEM block", "trailing garbage"},
		{"text before", "garbage\n" + edPEM, "neither a PEM block nor a JWK JSON object", "pem.Decode would skip it silently"},
		{"legacy encrypted", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte("ciphertext")})), `the key is encrypted ("RSA PRIVATE KEY")`, "say so, rather than a DER error"},
		{"PKCS #8 encrypted", pemOf("ENCRYPTED PRIVATE KEY", []byte("ciphertext")), `the key is encrypted ("ENCRYPTED PRIVATE KEY")`, "say so, rather than an unknown type"},
		{"OpenSSH", pemOf("OPENSSH PRIVATE KEY", []byte("openssh-key-v1")), "OpenSSH's own format", "ssh-keygen's default"},
		{"unknown type", pemOf("X509 CRL", []byte{1}), "not a key type freshtoken reads", "a CRL"},
		{"long type", pemOf(strings.Repeat("A", 200), []byte{1}), `"` + strings.Repeat("A", 24) + `..."`, "untrusted text is cut short"},
		{"RSA 1024", pkcs8PEM(t, k.rsa1024), "the key is an RSA private key of 1024 bits; at least 2048 bits are required", "refused where it is read, as New refuses it"},
		{"P-224", pemOf("EC PRIVATE KEY", sec1DER(t, k.p224)), "the key is an ECDSA P-224 private key", "no JWS algorithm uses P-224"},
		{"JWK EC d of another key", jwkJSON(t, k.p256, func(m map[string]any) { m["d"] = b64(other.D.FillBytes(make([]byte, 32))) }), "its public half is not the one its private half makes", "it would sign tokens its own public key refuses"},
		{"JWK OKP d of another key", jwkJSON(t, k.ed, func(m map[string]any) { m["d"] = b64(k.ed2.Seed()) }), `the JWK, a jwk.Key of type "OKP", cannot be read`, "jwx checks x against d"},
		{"JWK RSA d altered", jwkJSON(t, k.rsa, func(m map[string]any) { m["d"] = b64(k.rsa1024.D.Bytes()) }), "its public half is not the one its private half makes", "rsa.PrivateKey.Validate"},
		{"JWK short oct", `{"kty":"oct","k":"` + b64(k.hs256[:16]) + `"}`, "the key is an HMAC secret of 16 bytes; HS256 needs at least 32 bytes", "as New"},
		{"JWK Set", `{"keys":[` + jwkJSON(t, k.ed, nil) + `]}`, `a JWK Set ("keys"), not one JWK`, "pick the key"},
		{"JSON array", `[` + jwkJSON(t, k.ed, nil) + `]`, "JSON that is not an object", "one JWK is an object"},
		{"JSON string", `"secret"`, "JSON that is not an object", "a quoted secret"},
		{"JSON number", `42`, "JSON that is not an object", "not a key"},
		{"object without kty", `{"k":"abc"}`, `the JSON object has no "kty"`, "RFC 7517 §4.1"},
		{"broken JSON", `{"kty":"oct","k":"` + b64(k.hs256) + `"`, "the JWK is not valid JSON", "the error must not echo the secret"},
		{"JSON syntax error", `{"kty":"oct","k":` + b64(k.hs256) + `}`, "the JWK is not valid JSON (syntax error at byte", "the error must not echo the secret"},
		{"text after JSON", jwkJSON(t, k.ed, nil) + `{}`, "text after the JWK object", "trailing garbage"},
		{"unknown kty", `{"kty":"XYZ"}`, "the JWK cannot be read", "jwx refuses it"},
		{"JWK alg of no JWS", jwkJSON(t, k.rsa, func(m map[string]any) { m["alg"] = "RSA-OAEP" }), `the JWK's "alg" "RSA-OAEP" is not a JWS algorithm freshtoken supports`, "an encryption key"},
		{"huge", strings.Repeat("A", 1<<20), "1048576 bytes is larger than any key", "read no further"},
		{"huge JSON", `{"kty":"oct","k":"` + strings.Repeat("A", 100<<10) + `"}`, "larger than any key", "read no further"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseKey([]byte(tt.input))
			if key != nil || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ParseKey = %T, %v; want nil, ErrInvalidKey (%s)", key, err, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseKey error\n got %s\nwant it to contain %s\n(%s)", err, tt.want, tt.reason)
			}
			if run := materialRun.FindString(err.Error()); run != "" {
				t.Errorf("ParseKey error %q holds %q, which may be key material", err, run)
			}
		})
	}
}

// New refuses the keys ParseKey refuses, with the same words.
func TestNewRefusesSmallRSAKeyFromPEM(t *testing.T) {
	block, _ := pem.Decode([]byte(pkcs8PEM(t, testKeys().rsa1024)))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{Key: k})
	want := "freshtoken: unusable key: Config.Key is an RSA private key of 1024 bits; at least 2048 bits are required"
	if !errors.Is(err, ErrInvalidKey) || err.Error() != want {
		t.Errorf("New() error = %v, want %s", err, want)
	}
}

func selfSigned(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "freshtoken test"},
		NotBefore:    t0,
		NotAfter:     t0.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestMarshalKeyRefuses(t *testing.T) {
	k := testKeys()
	for _, key := range []any{nil, 42, "secret", k.hs256[:16], k.rsa1024, k.p224, (*rsa.PrivateKey)(nil)} {
		if b, err := MarshalKey(key); b != nil || !errors.Is(err, ErrInvalidKey) {
			t.Errorf("MarshalKey(%s) = %d bytes, %v; want nil, ErrInvalidKey", describeKey(key), len(b), err)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKey(t *testing.T) {
	k := testKeys()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pem")
	writeFile(t, good, pkcs8PEM(t, k.ed))
	if got, err := LoadKey(good); err != nil || !equalKeys(t, got, k.ed) {
		t.Fatalf("LoadKey(good) = %s, %v; want the key", describeKey(got), err)
	}

	missing := filepath.Join(dir, "missing.pem")
	_, err := LoadKey(missing)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadKey(missing) error = %v; want fs.ErrNotExist naming the path", err)
	}

	bad := filepath.Join(dir, "bad.pem")
	writeFile(t, bad, pkcs8PEM(t, k.rsa1024))
	_, err = LoadKey(bad)
	want := "freshtoken: unusable key: " + bad + ": the key is an RSA private key of 1024 bits; at least 2048 bits are required"
	if !errors.Is(err, ErrInvalidKey) || err.Error() != want {
		t.Errorf("LoadKey(bad) error = %v; want %s", err, want)
	}

	huge := filepath.Join(dir, "huge.pem")
	writeFile(t, huge, strings.Repeat("A", 10<<20))
	_, err = LoadKey(huge)
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), huge+": 65537 bytes is larger than any key") {
		t.Errorf("LoadKey(huge) error = %v; want a refusal after reading 64 KiB", err)
	}

	_, err = LoadKey(dir)
	if err == nil || errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), dir) {
		t.Errorf("LoadKey(a directory) error = %v; want a file-system error naming it", err)
	}
}

func TestLoadKeyEnv(t *testing.T) {
	k := testKeys()
	edPEM := pkcs8PEM(t, k.ed)
	const name = "FRESHTOKEN_TEST_KEY"

	t.Setenv(name, edPEM)
	if got, err := LoadKeyEnv(name); err != nil || !equalKeys(t, got, k.ed) {
		t.Errorf("LoadKeyEnv(PEM) = %s, %v; want the key", describeKey(got), err)
	}
	t.Setenv(name, strings.ReplaceAll(edPEM, "\n", `\n`))
	if got, err := LoadKeyEnv(name); err != nil || !equalKeys(t, got, k.ed) {
		t.Errorf("LoadKeyEnv(PEM on one line with \\n) = %s, %v; want the key", describeKey(got), err)
	}
	t.Setenv(name, `{"kty":"oct","k":"`+base64.RawURLEncoding.EncodeToString(k.hs256)+`"}`)
	if got, err := LoadKeyEnv(name); err != nil || !equalKeys(t, got, k.hs256) {
		t.Errorf("LoadKeyEnv(JWK) = %s, %v; want the secret", describeKey(got), err)
	}

	for _, tt := range []struct{ value, want string }{
		{"", "freshtoken: unusable key: environment variable " + name + " is empty"},
		{"\n", "freshtoken: unusable key: environment variable " + name + " is empty"},
		{"hunter2", "freshtoken: unusable key: environment variable " + name + ": neither a PEM block nor a JWK JSON object"},
	} {
		t.Setenv(name, tt.value)
		if _, err := LoadKeyEnv(name); !errors.Is(err, ErrInvalidKey) || err.Error() != tt.want {
			t.Errorf("LoadKeyEnv(%q) error = %v; want %s", tt.value, err, tt.want)
		}
	}
	os.Unsetenv(name) // t.Setenv restores it
	want := "freshtoken: unusable key: environment variable " + name + " is not set"
	if _, err := LoadKeyEnv(name); !errors.Is(err, ErrInvalidKey) || err.Error() != want {
		t.Errorf("LoadKeyEnv(unset) error = %v; want %s", err, want)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES512", "RS256", "PS384", "HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "key.pem")
			first, err := LoadOrCreateKey(path, alg)
			if err != nil {
				t.Fatalf("LoadOrCreateKey (create): %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode(); mode != 0o600 {
				t.Errorf("key file mode = %v, want -rw-------", mode)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("directory holds %d entries, want the key file alone", len(entries))
			}
			again, err := LoadOrCreateKey(path, alg)
			if err != nil {
				t.Fatalf("LoadOrCreateKey (load): %v", err)
			}
			if !equalKeys(t, first, again) {
				t.Errorf("loading gave %s, not the %s created", describeKey(again), describeKey(first))
			}
			// No Config.Algorithm: the key itself carries alg.
			m1 := checkSigns(t, Config{Key: first}, alg)
			m2 := checkSigns(t, Config{Key: again}, alg)
			if _, err := m2.RequireAccess(context.Background(), mustIssue(t, m1, "user-42").Access); err != nil {
				t.Errorf("a token from before the restart is refused: %v", err)
			}
		})
	}
}

func TestLoadOrCreateKeyWrongAlgorithm(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, created, asked, want, reason string
	}{
		{"Ed25519 for ES256", "EdDSA", "ES256", "holds an Ed25519 private key, a key for EdDSA, not for ES256", "another key type"},
		{"P-256 for ES384", "ES256", "ES384", "holds an ECDSA P-256 private key, a key for ES256, not for ES384", "another curve"},
		{"HS256 for HS512", "HS256", "HS512", "holds an HMAC secret of 32 bytes, a key for HS256, not for HS512", "too short"},
		{"HS512 for HS256", "HS512", "HS256", "holds an HMAC secret of 64 bytes, a key for HS512, not for HS256", "the file's JWK names HS512"},
		{"RSA for HS256", "RS256", "HS256", "holds an RSA private key of 3072 bits, a key for RS256, not for HS256", "a private key is no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.created+".key")
			if _, err := LoadOrCreateKey(path, tt.created); err != nil {
				t.Fatal(err)
			}
			k, err := LoadOrCreateKey(path, tt.asked)
			want := "freshtoken: unusable key: " + path + " " + tt.want
			if k != nil || !errors.Is(err, ErrInvalidKey) || err.Error() != want {
				t.Errorf("LoadOrCreateKey = %T, %v\nwant nil, %s (%s)", k, err, want, tt.reason)
			}
		})
	}
	// An RSA key in PEM carries no algorithm: the RS256 file serves PS256.
	k, err := LoadOrCreateKey(filepath.Join(dir, "RS256.key"), "PS256")
	if err != nil {
		t.Fatal(err)
	}
	checkSigns(t, Config{Key: k}, "PS256")
}

func TestLoadOrCreateKeyRefuses(t *testing.T) {
	k := testKeys()
	dir := t.TempDir()
	public := filepath.Join(dir, "public.pem")
	writeFile(t, public, pkixPEM(t, k.ed.Public()))
	empty := filepath.Join(dir, "empty.pem")
	writeFile(t, empty, "")
	tests := []struct {
		name, path, alg, want, reason string
	}{
		{"public key", public, "EdDSA", public + " is an Ed25519 public key; signing needs the private key", "it must sign"},
		{"empty file", empty, "EdDSA", empty + ": no key: the input is empty", "never overwrite a file, even an empty one"},
		{"unknown algorithm", filepath.Join(dir, "none.pem"), "none", `LoadOrCreateKey's algorithm "none" is not a JWS algorithm freshtoken supports`, "nothing is created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(tt.path)
			key, err := LoadOrCreateKey(tt.path, tt.alg)
			if key != nil || !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadOrCreateKey = %T, %v\nwant nil and an error containing %s (%s)", key, err, tt.want, tt.reason)
			}
			if after, _ := os.ReadFile(tt.path); !bytes.Equal(before, after) {
				t.Errorf("LoadOrCreateKey changed %s (%s)", tt.path, tt.reason)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "none.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was created for an unknown algorithm: %v", err)
	}
}

// Processes starting at once all end up with the one key that was written.
func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	const n = 8
	keys := make([]any, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			keys[i], errs[i] = LoadOrCreateKey(path, "ES256")
		})
	}
	start.Done()
	done.Wait()
	onDisk, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
		} else if !equalKeys(t, keys[i], onDisk) {
			t.Errorf("caller %d got a key other than the one on disk", i)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want the key file alone", len(entries))
	}
}

func TestLoadOrCreateKeyFileSystemErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	writeFile(t, notDir, "x")
	path := filepath.Join(notDir, "key.pem")
	_, err := LoadOrCreateKey(path, "EdDSA")
	if err == nil || errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadOrCreateKey under a file: %v; want a file-system error naming %s", err, path)
	}

	if os.Geteuid() == 0 && os.Getenv(asNobodyEnv) == "" {
		// Root reads and writes any directory, and CI runs as root: run
		// the permission cases again as an unprivileged user.
		runAsNobody(t, "TestLoadOrCreateKeyFileSystemErrors")
		return
	}
	for _, tt := range []struct {
		name string
		mode os.FileMode
	}{{"unreadable directory", 0o000}, {"read-only directory", 0o500}} {
		t.Run(tt.name, func(t *testing.T) {
			locked := filepath.Join(t.TempDir(), "locked")
			if err := os.Mkdir(locked, tt.mode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(locked, 0o700) })
			path := filepath.Join(locked, "key.pem")
			_, err := LoadOrCreateKey(path, "EdDSA")
			if !errors.Is(err, fs.ErrPermission) || errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), locked) {
				t.Errorf("LoadOrCreateKey = %v; want fs.ErrPermission naming %s", err, locked)
			}
		})
	}
}

// asNobodyEnv marks a test binary that runAsNobody started.
const asNobodyEnv = "FRESHTOKEN_TEST_AS_NOBODY"

// runAsNobody runs the test named test again in a copy of this test
// binary, as the unprivileged user nobody (util-linux's setpriv, which
// every Debian system has), and fails unless it passes there.
func runAsNobody(t *testing.T, test string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("running as root, the permission cases need setpriv to drop to an unprivileged user: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A directory nobody may use: the copied binary, and its temporary files.
	dir, err := os.MkdirTemp("", "freshtoken-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "freshtoken.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		bin, "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), asNobodyEnv+"=1", "TMPDIR="+dir, "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("%s as nobody: %v\n%s", test, err, out)
	}
}

// LoadOrCreateKey trusts only a key file its own user wrote and nobody
// else may change or read: found in review, a key planted with mode 0644
// by another user, in a directory others can write to, was used to sign.
func TestLoadOrCreateKeyRefusesUntrustedFiles(t *testing.T) {
	planted, err := GenerateKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalKey(planted)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason string
		mode         os.FileMode
		owner        int // -1: this process's user
		want         string
	}{
		{"0600", "what LoadOrCreateKey writes", 0o600, -1, ""},
		{"0640", "a group may read it, as deployments often need", 0o640, -1, ""},
		{"world-readable", "the private key is no longer private", 0o644, -1, "readable by every user"},
		{"group-writable", "the group could choose the signing key", 0o660, -1, "writable by group or others"},
		{"world-writable", "anyone could", 0o666, -1, "writable by group or others"},
		{"another user's", "planted before the first start", 0o600, 65534, "is owned by uid 65534"},
	}
	for _, tc := range cases {
		if tc.owner >= 0 && os.Geteuid() != 0 {
			continue // only root can give a file to another user; CI runs as root
		}
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.pem")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			if tc.owner >= 0 {
				if err := os.Chown(path, tc.owner, tc.owner); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadOrCreateKey(path, "EdDSA")
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("LoadOrCreateKey: %v; want the key (%s)", err, tc.reason)
			case tc.want != "" && (!errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path)):
				t.Errorf("LoadOrCreateKey: %v; want ErrInvalidKey naming %s and saying %q (%s)", err, path, tc.want, tc.reason)
			}
			if _, err := LoadKey(path); err != nil {
				t.Errorf("LoadKey checks no ownership or mode, but: %v", err)
			}
		})
	}
}
