package freshtoken

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// This file turns keys into bytes and back, so that a service can keep its
// key in a file or an environment variable: ParseKey, LoadKey, LoadKeyEnv,
// GenerateKey, MarshalKey and LoadOrCreateKey. It uses the standard library
// alone; the JWK parts go through keys.go.
//
// Every error matches ErrInvalidKey, except file-system errors, which keep
// matching fs.ErrNotExist, fs.ErrPermission and the like. Every error names
// the file or variable, and none holds key material.

// maxKeySize is the largest input ParseKey reads: a 16384-bit RSA private
// key takes about 13 KB in PEM and JWK, so anything larger is not a key.
const maxKeySize = 64 << 10

// rsaBits is the size of the RSA keys GenerateKey makes. 2048 bits is the
// minimum New accepts and holds until about 2030 (NIST SP 800-57 Part 1,
// 112-bit strength); a key written to a file may well live longer, and 3072
// bits gives the 128-bit strength of P-256 and Ed25519.
const rsaBits = 3072

// ParseKey reads one key, in PEM or as a JWK, and returns it as a value
// that Config.Key (for a private key or secret) and Config.VerifyKeys
// accept:
//
//   - PEM: PKCS #8 "PRIVATE KEY", PKCS #1 "RSA PRIVATE KEY", SEC 1 "EC
//     PRIVATE KEY" (an "EC PARAMETERS" block before it, as openssl ecparam
//     writes, is skipped), PKIX "PUBLIC KEY" or PKCS #1 "RSA PUBLIC KEY".
//     The result is an ed25519.PrivateKey, *ecdsa.PrivateKey,
//     *rsa.PrivateKey, ed25519.PublicKey, *ecdsa.PublicKey or
//     *rsa.PublicKey.
//   - a JWK JSON object (RFC 7517), "oct" ones included. The result is the
//     key as above, or []byte for an "oct" secret; a JWK carrying "alg" or
//     "kid" is returned as the jwk.Key itself, so that New uses its
//     algorithm and key ID.
//
// Whitespace around the key is ignored. Anything else is refused: several
// PEM blocks, text before or after the key, encrypted keys (decrypt them
// first, and protect the file instead), certificates, JWK Sets, and keys
// New would refuse (an RSA key under 2048 bits, an HMAC secret under 32
// bytes, a private key whose halves do not match).
func ParseKey(data []byte) (any, error) {
	if len(data) > maxKeySize {
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("%d bytes is larger than any key (at most %d)", len(data), maxKeySize))
	}
	data = bytes.TrimSpace(data)
	var k any
	var err error
	switch {
	case len(data) == 0:
		return nil, withDetail(ErrInvalidKey, "no key: the input is empty")
	case bytes.HasPrefix(data, []byte("-----BEGIN ")):
		k, err = parsePEM(data)
	case data[0] == '{':
		k, err = parseJWKObject(data)
	case json.Valid(data):
		return nil, withDetail(ErrInvalidKey, "JSON that is not an object: want one JWK (a JSON object) or one PEM block")
	case bytes.HasPrefix(data, []byte("LS0tLS1CRUdJTi")):
		return nil, withDetail(ErrInvalidKey, "the key looks base64-encoded PEM: decode it first")
	default:
		return nil, withDetail(ErrInvalidKey, "neither a PEM block nor a JWK JSON object")
	}
	if err != nil {
		return nil, err
	}
	if err := checkParsed(k); err != nil {
		return nil, err
	}
	return k, nil
}

// checkParsed runs New's checks on a parsed key, so that a bad key is
// refused where it is read, with the file or variable named.
func checkParsed(k any) error {
	raw, _, _, err := rawKey(k, "the key")
	if err != nil {
		return err
	}
	switch raw.(type) {
	case ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey:
		_, err = prepareVerifyKey(k, "the key")
	default:
		_, err = prepareSigningKey(k, "", "", "the key")
	}
	return err
}

// parsePEM reads data, which holds one PEM block and nothing else.
func parsePEM(data []byte) (any, error) {
	block, rest := pem.Decode(data)
	if block != nil && block.Type == "EC PARAMETERS" {
		// openssl ecparam -genkey writes the curve's name before the
		// key, which names its curve again.
		block, rest = pem.Decode(bytes.TrimSpace(rest))
	}
	switch {
	case block == nil:
		return nil, withDetail(ErrInvalidKey, "no complete PEM block: the input is truncated or damaged")
	case bytes.Contains(rest, []byte("-----BEGIN ")):
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("several PEM blocks (the first is %s): want exactly one key", pemType(block)))
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, withDetail(ErrInvalidKey, "text after the PEM block")
	case block.Type == "ENCRYPTED PRIVATE KEY", strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED"):
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("the key is encrypted (%s): decrypt it first, e.g. openssl pkey -in enc.pem -out key.pem, and protect the file instead", pemType(block)))
	}
	k, err := parsePEMBlock(block)
	if err != nil {
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("%s block: %v", pemType(block), err))
	}
	return k, nil
}

// parsePEMBlock decodes the DER of a key block, as its type says.
func parsePEMBlock(block *pem.Block) (k any, err error) {
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		return nil, errors.New("a certificate, not a key: give the private key, or the certificate's public key (x509.Certificate.PublicKey)")
	case "OPENSSH PRIVATE KEY":
		return nil, errors.New("OpenSSH's own format: convert the key to PKCS #8 (PRIVATE KEY)")
	default:
		return nil, errors.New(`not a key type freshtoken reads: want PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY or RSA PUBLIC KEY`)
	}
	if err != nil {
		return nil, errDER(err)
	}
	return k, nil
}

// errDER replaces encoding/asn1's long structure errors; x509's own say
// which format the bytes are, which is worth passing on.
func errDER(err error) error {
	if strings.HasPrefix(err.Error(), "x509: ") {
		return err
	}
	return errors.New("its bytes are not a key in the format its type names (damaged, or mislabelled)")
}

// pemType quotes a block's type, cut short: it is untrusted input.
func pemType(block *pem.Block) string {
	t := block.Type
	if len(t) > 24 {
		t = t[:24] + "..."
	}
	return fmt.Sprintf("%q", t)
}

// parseJWKObject checks that data is one JSON object, and no JWK Set,
// before parseJWK reads it. Its errors quote no input: a JSON syntax error
// would otherwise show a character of the key.
func parseJWKObject(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, withDetail(ErrInvalidKey, fmt.Sprintf("the JWK is not valid JSON (syntax error at byte %d)", syntax.Offset))
		}
		return nil, withDetail(ErrInvalidKey, "the JWK is not valid JSON (truncated or of the wrong shape)")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, withDetail(ErrInvalidKey, "text after the JWK object")
	}
	if _, ok := members["keys"]; ok {
		return nil, withDetail(ErrInvalidKey, `a JWK Set ("keys"), not one JWK: give the one key to use`)
	}
	if _, ok := members["kty"]; !ok {
		return nil, withDetail(ErrInvalidKey, `the JSON object has no "kty", so it is no JWK`)
	}
	return parseJWK(data)
}

// LoadKey reads the key in the file at path, as ParseKey does. Errors name
// the path; those of the file system keep matching fs.ErrNotExist,
// fs.ErrPermission and the like.
func LoadKey(path string) (any, error) {
	data, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, inSource(err, path)
	}
	return k, nil
}

// readKeyFile reads a file that should hold a key, and no more than a key.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("freshtoken: reading key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("freshtoken: reading key: %w", err)
	}
	return data, nil
}

// inSource adds where the key came from to a ParseKey error.
func inSource(err error, where string) error {
	var te *tokenError
	if errors.As(err, &te) {
		return withDetail(te.kind, where+": "+te.detail)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// LoadKeyEnv reads the key in the environment variable name, as ParseKey
// does: PEM or a JWK, as many platforms hand secrets to a process. A PEM
// key written on one line with literal \n sequences, as .env files and
// docker --env-file need, is read too. An unset or empty variable is an
// error that names it.
func LoadKeyEnv(name string) (any, error) {
	v, ok := os.LookupEnv(name)
	where := "environment variable " + name
	switch {
	case !ok:
		return nil, withDetail(ErrInvalidKey, where+" is not set")
	case strings.TrimSpace(v) == "":
		return nil, withDetail(ErrInvalidKey, where+" is empty")
	}
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN ") && !strings.Contains(v, "\n") {
		// Base64 has no backslash, so the replacement cannot alter a key.
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	k, err := ParseKey([]byte(v))
	if err != nil {
		return nil, inSource(err, where)
	}
	return k, nil
}

// GenerateKey returns a new random key for alg: an ed25519.PrivateKey for
// "EdDSA"; a *ecdsa.PrivateKey on P-256, P-384 or P-521 for "ES256",
// "ES384" or "ES512"; a 3072-bit *rsa.PrivateKey for "RS256" to "PS512";
// and for "HS256", "HS384" or "HS512" a []byte secret as long as the hash
// (32, 48 or 64 bytes).
//
// The key does not record alg. New signs with the key's default algorithm
// (EdDSA, ES256/384/512 by curve, RS256, HS256) unless Config.Algorithm
// says otherwise, so give alg there for RS384 to PS512, HS384 and HS512;
// or use LoadOrCreateKey, whose key carries alg.
func GenerateKey(alg string) (any, error) {
	switch alg {
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case "HS256", "HS384", "HS512":
		secret := make([]byte, minHMACLen[alg])
		rand.Read(secret) // never fails (crypto/rand)
		return secret, nil
	}
	return nil, checkAlgName(alg, "GenerateKey's algorithm")
}

// MarshalKey writes key so that ParseKey reads it back: a private key as
// PKCS #8 PEM ("PRIVATE KEY"), a public key as PKIX PEM ("PUBLIC KEY"), an
// HMAC secret as a JWK of type "oct", and a jwk.Key (as ParseKey returns
// for a JWK with "alg" or "kid") as its JWK. It refuses the keys ParseKey
// refuses. The output holds the key in the clear: write it to a file only
// the service can read (mode 0600).
func MarshalKey(key any) ([]byte, error) {
	if err := checkParsed(key); err != nil {
		return nil, err
	}
	if b, ok, err := marshalJWK(key); ok {
		return b, err
	}
	var block pem.Block
	var err error
	switch k := key.(type) {
	case []byte:
		return json.Marshal(struct {
			Kty string `json:"kty"`
			K   string `json:"k"`
		}{"oct", base64.RawURLEncoding.EncodeToString(k)})
	case ed25519.PublicKey, *ecdsa.PublicKey, *rsa.PublicKey:
		block.Type = "PUBLIC KEY"
		block.Bytes, err = x509.MarshalPKIXPublicKey(k)
	default:
		block.Type = "PRIVATE KEY"
		block.Bytes, err = x509.MarshalPKCS8PrivateKey(k)
	}
	if err != nil {
		return nil, withDetail(ErrInvalidKey, fmt.Sprintf("cannot write %s: %v", describeKey(key), err))
	}
	return pem.EncodeToMemory(&block), nil
}

// LoadOrCreateKey returns the signing key in the file at path, first
// creating the file with a new key for alg when it does not exist. It is
// the one call a service needs to keep its key across restarts, so that
// the tokens it issued stay valid:
//
//	key, err := freshtoken.LoadOrCreateKey("freshtoken-key.pem", "EdDSA")
//
// A new file is written with mode 0600, as MarshalKey writes the key, under
// a temporary name in the same directory and then linked into place, which
// fails if path exists by then: a crash never leaves a partial key at
// path, and of several processes starting at once, one creates the key and
// the others load it.
//
// The key must be a private key or secret that fits alg; a file holding a
// key for another algorithm is an error naming both. The result is a value
// for Config.Key that signs with alg without Config.Algorithm: the key as
// ParseKey returns it, or, when alg is not the key's default (RS384 to
// PS512, HS384, HS512), a jwk.Key carrying alg. An RSA key in PEM says
// nothing of its algorithm, so the file of an "RS256" key serves "PS256"
// as well.
//
// On Unix, an existing file must belong to this process's user and be
// neither writable by others nor readable by every user (0600 or 0640,
// say): a key file another user planted before the first start, or one
// anyone may replace, would let them choose the signing key. A key the
// deployment provides, such as a mounted secret owned by root, is read
// with LoadKey, which does not check.
func LoadOrCreateKey(path, alg string) (any, error) {
	if err := checkAlgName(alg, "LoadOrCreateKey's algorithm"); err != nil {
		return nil, err
	}
	k, err := LoadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = createKey(path, alg)
	}
	if err != nil {
		return nil, err
	}
	if err := checkKeyFile(path); err != nil {
		return nil, err
	}
	return keyForAlg(k, alg, path)
}

// keyForAlg checks that k, read from the file at path, is a signing key
// that fits alg, and returns it in a form that Config.Key signs with alg:
// k itself when alg is k's default, else a jwk.Key carrying alg.
func keyForAlg(k any, alg, path string) (any, error) {
	sk, err := prepareSigningKey(k, "", "", path)
	if err != nil {
		return nil, err
	}
	if sk.alg == alg {
		return k, nil
	}
	raw, jwkAlg, _, _ := rawKey(k, path)
	if jwkAlg == "" {
		if _, err := prepareSigningKey(k, alg, "", path); err == nil {
			return withAlg(k, alg)
		}
	}
	return nil, withDetail(ErrInvalidKey, fmt.Sprintf("%s holds %s, a key for %s, not for %s", path, describeKey(raw), sk.alg, alg))
}

// checkAlgName checks that alg, which from names, is one freshtoken supports.
func checkAlgName(alg, from string) error {
	if _, ok := algNeeds[alg]; ok {
		return nil
	}
	return keySource{algFrom: from}.mismatch(alg)
}

// createKey writes a new key for alg at path, unless some other process
// got there first, and returns the key now at path.
func createKey(path, alg string) (any, error) {
	k, err := GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	if _, ok := k.([]byte); ok && alg != "HS256" {
		// Nothing else would tell an HS384 secret from an HS256 one.
		if k, err = withAlg(k, alg); err != nil {
			return nil, err
		}
	}
	data, err := MarshalKey(k)
	if err != nil {
		return nil, err
	}
	switch err := writeNewFile(path, data); {
	case errors.Is(err, fs.ErrExist):
		return LoadKey(path) // another process won the race
	case err != nil:
		return nil, err
	}
	return ParseKey(data)
}

// writeNewFile writes data, with mode 0600, to a temporary file beside path,
// then links it to path, which fails with fs.ErrExist if path exists.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("freshtoken: creating key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("freshtoken: creating key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("freshtoken: creating key %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // keep the new name through a crash, where the OS allows
		d.Close()
	}
	return nil
}
