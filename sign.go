package freshtoken

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// This file writes tokens: the fields of a new token, the JSON the formats
// build from them, and the signed compact serialization.

// tokenFields is what goes into a new token.
type tokenFields struct {
	typ                 TokenType
	subject             string
	id, sessionID, csrf string   // csrf empty: no csrf claim
	issuer              string   // empty: no claim
	audience            []string // empty: no claim
	issuedAt, expiresAt time.Time
	authTime            time.Time
	login               time.Time // the exact login instant; zero for refreshed tokens
	fresh               bool
	extra               string // application claims: `"k":v` members joined by commas
	nExtra              int    // how many
}

// maxFixed bounds the claims a format writes besides the application's.
const maxFixed = 16

// signTokens signs access and, unless it is nil, refresh, both with one
// key, which every guard of m accepts when signTokens returns: RetireKey
// may take a key away while it signs (once a RotateKey has replaced it),
// and the tokens are then signed again with the key of the moment.
func (m *Manager) signTokens(access, refresh *tokenFields) (at, rt string, err error) {
	for {
		r := m.ring.Load()
		if at, err = m.sign(r, access); err != nil {
			return "", "", err
		}
		if refresh != nil {
			if rt, err = m.sign(r, refresh); err != nil {
				return "", "", err
			}
		}
		if m.ring.Load().holds(&r.signing.key) {
			return at, rt, nil
		}
	}
}

// sign encodes and signs one token in the Manager's format with the
// signing key of r.
func (m *Manager) sign(r *keyRing, f *tokenFields) (string, error) {
	var pbuf [512]byte // the usual payload fits: no allocation
	payload, growth := m.payload(pbuf[:0], f)
	// No format writes more than maxFixed claims of its own, so only
	// tokens with many application claims need counting.
	if f.nExtra > maxMembers-maxFixed {
		if n, _ := scanObject(payload, nil); n > maxMembers {
			return "", withDetail(ErrInvalidConfig, fmt.Sprintf("%d claims are too many for a token of at most %d members; carry fewer", n, maxMembers))
		}
	}
	return m.seal(r.signing, r.header(f.typ), payload, growth)
}

// payload appends the claims of f in the Manager's format; growth is as
// for tokenFormat.appendClaims.
func (m *Manager) payload(b []byte, f *tokenFields) (out []byte, growth int) {
	f.issuer, f.audience = m.issuer, m.audience
	return m.format.appendClaims(b, f)
}

// smallestPairSize is the size, as fits counts it, of the larger token of
// the smallest pair Issue writes with the signing key of r: a one-byte
// subject, no application claims, no CSRF, a login at a whole second
// (under Flask with FreshFor, the "fresh" time is then at its shortest). A
// key's signatures all have one length, so one probe signature measures
// both tokens.
func (m *Manager) smallestPairSize(r *keyRing) (int, error) {
	sig, err := r.signing.sign([]byte("probe"))
	if err != nil {
		return 0, fmt.Errorf("freshtoken: signing failed: %w", err)
	}
	access, refresh, err := m.loginPair("x", m.now().Truncate(time.Second), &issueOptions{}, &issueOptions{})
	if err != nil {
		return 0, err
	}
	return max(m.tokenSize(r, access, len(sig)), m.tokenSize(r, refresh, len(sig))), nil
}

// tokenSize is the size, as fits counts it, of f signed by the signing key
// of r, whose signatures are sigLen bytes: what seal builds.
func (m *Manager) tokenSize(r *keyRing, f *tokenFields, sigLen int) int {
	payload, growth := m.payload(nil, f)
	enc := base64.RawURLEncoding
	return len(r.header(f.typ)) + 1 + enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(sigLen) + growth
}

// seal signs header and payload with sk into a compact token.
func (m *Manager) seal(sk *signingKey, header string, payload []byte, growth int) (string, error) {
	enc := base64.RawURLEncoding
	// The signer is reached through an interface, as the verifier is: the
	// token is built in a pooled buffer (see inputPool) and copied out once.
	bp := getInput(len(header) + 1 + enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(512))
	defer putInput(bp)
	buf := append((*bp)[:0], header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := sk.sign(buf)
	if err != nil {
		return "", fmt.Errorf("freshtoken: signing failed: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	if err := m.fits(len(buf) + growth); err != nil {
		return "", err
	}
	return string(buf), nil
}

// fits refuses a token of size bytes that the guards would refuse: better
// none than a dead one. The size includes what the token's refreshed twin
// may add.
func (m *Manager) fits(size int) error {
	if size > m.maxSize {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("the token would be %d bytes, more than MaxTokenSize (%d); carry fewer or smaller claims", size, m.maxSize))
	}
	return nil
}

// appendMember appends `"name":"value"`, the value as a JSON string.
func appendMember(b []byte, name, value string) []byte {
	b = appendString(b, name)
	b = append(b, ':')
	return appendString(b, value)
}

// appendAudience appends the "aud" member: one audience as a string, as
// RFC 7519 §4.1.3 allows, several as an array. aud is not empty.
func appendAudience(b []byte, aud []string) []byte {
	if len(aud) == 1 {
		return appendMember(b, "aud", aud[0])
	}
	b = append(b, `"aud":[`...)
	for i, a := range aud {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, a)
	}
	return append(b, ']')
}

// appendUnix appends prefix and t in Unix seconds.
func appendUnix(b []byte, prefix string, t time.Time) []byte {
	b = append(b, prefix...)
	return strconv.AppendInt(b, t.Unix(), 10)
}

// appendBool appends prefix and v.
func appendBool(b []byte, prefix string, v bool) []byte {
	b = append(b, prefix...)
	return strconv.AppendBool(b, v)
}

// appendExtra appends the application claims, if any, and closes the object.
func appendExtra(b []byte, extra string) []byte {
	if len(extra) > 0 {
		b = append(b, ',')
		b = append(b, extra...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string, exactly as json.Marshal writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		// json.Marshal escapes these (and rewrites non-ASCII when it is not
		// valid UTF-8 or is U+2028 or U+2029): leave them to it.
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			v, _ := json.Marshal(s) // a string always marshals
			return append(b, v...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// newRandomID returns a random 128-bit identifier, base64url encoded: the
// IDs of freshtoken's own format.
func newRandomID() (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("freshtoken: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// newUUID returns a random (version 4) UUID, the form Flask-JWT-Extended
// gives "jti" and "csrf".
func newUUID() (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("freshtoken: reading random bytes: %w", err)
	}
	raw[6] = raw[6]&0x0f | 0x40 // version 4
	raw[8] = raw[8]&0x3f | 0x80 // RFC 9562 variant
	var text [36]byte
	hex.Encode(text[0:8], raw[0:4])
	text[8] = '-'
	hex.Encode(text[9:13], raw[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], raw[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], raw[8:10])
	text[23] = '-'
	hex.Encode(text[24:36], raw[10:16])
	return string(text[:]), nil
}
