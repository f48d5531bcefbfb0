package freshtoken

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the verification pipeline every guard, Refresh and Logout
// run, in either token format, from the top:
//
//	verify
//	  check
//	  prove, with the keys of one moment (the cache of what prove proved:
//	  proveCached, cache.go; the keys: keyRing, rotate.go)
//	    1. size:       no more than Config.MaxTokenSize
//	    2. shape:      three strict base64url parts (splitCompact, parse.go)
//	       issuer:     for a Verifier trusting several, the keys of the
//	                   one "iss" names (pickIssuer, issuers.go)
//	    3. header:     alg, typ and kid only; the type it declares (the
//	                   format's question) and the key (findKey, keysFor)
//	    4. signature:  with the key, by the configured algorithm
//	    5. claims:     their JSON types (decodeClaims, claims.go)
//	  validate
//	    6. the configuration and the clock: times, issuer, audience,
//	       subject, lifetime, token type, freshness time
//	  checkRevoked
//	    7. the revocation store
//
// The format (format.go) answers what differs: how the header declares the
// type, what the claims mean, how the clock is rounded. Nothing here asks
// which format is in use.
//
// The refusals that are events (events.go) are reported where they are
// found: an unknown kid in header, a revoked token or a failing store in
// checkRevoked. The others are the caller's to count.

// verify applies every rule a token of type want must pass.
func (v *Verifier) verify(ctx context.Context, tok string, want TokenType) (*Claims, error) {
	c, err := v.check(ctx, tok, want)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// check is verify without the revocation store (Logout needs no more).
func (v *Verifier) check(ctx context.Context, tok string, want TokenType) (*Claims, error) {
	c, err := v.proveCached(ctx, tok)
	if err != nil {
		return nil, err
	}
	if err := v.validate(c, want); err != nil {
		return nil, err
	}
	return c, nil
}

// prove checks everything a token proves by itself, cheapest first and the
// signature before anything in the payload is believed. It also returns the
// key that verified the token. Its answer depends on the token and the
// keys alone, so the cache may keep it while the key stays in the ring.
func (v *Verifier) prove(ctx context.Context, r *keyRing, tok string) (*Claims, *key, error) {
	if len(tok) > v.maxSize {
		return nil, nil, withDetail(ErrMalformed, "token larger than the configured maximum")
	}
	h64, p64, s64, err := splitCompact(tok)
	if err != nil {
		return nil, nil, err
	}
	var pbuf [512]byte
	var payload []byte
	remote, issuer := v.remote, (*issuerKeys)(nil)
	if v.issuers != nil {
		// The payload is read before the signature is checked only to
		// choose whose keys must have signed it; nothing else in it is
		// believed until they have.
		if payload, err = decodePart(pbuf[:0], p64); err != nil {
			return nil, nil, err
		}
		if issuer, err = v.pickIssuer(payload); err != nil {
			return nil, nil, err
		}
		r, remote = issuer.ring, issuer.remote
	}
	declared, k, alg, err := v.header(ctx, r, remote, h64)
	if err != nil {
		return nil, nil, err
	}
	n := len(h64) + 1 + len(p64)
	bp := getInput(n + strictB64.DecodedLen(len(s64)))
	defer putInput(bp)
	input := append((*bp)[:0], tok[:n]...)
	sig, err := decodePart(input[n:], s64)
	if err != nil {
		return nil, nil, err
	}
	if k, err = checkSignature(r, k, alg, input[:n:n], sig); err != nil {
		return nil, nil, err
	}
	if payload == nil {
		if payload, err = decodePart(pbuf[:0], p64); err != nil {
			return nil, nil, err
		}
	}
	c, err := decodeClaims(payload, v.schema)
	if err != nil {
		return nil, nil, err
	}
	if issuer != nil && c.Issuer != issuer.name {
		// The claims reader and pickIssuer read the same bytes alike; this
		// only guards that they keep doing so.
		return nil, nil, wrongIssuer(c.Issuer, issuer.name)
	}
	if declared != 0 && c.Type != declared {
		return nil, nil, withDetail(ErrInvalidClaims, `the "type" claim says `+c.Type.String()+` but the header "typ" says `+declared.String())
	}
	return c, k, nil
}

// header reads the encoded header h64 and returns the type it declares (0
// when the format types tokens by their claims) and the key of r, or of
// remote, its kid names; with no kid, k is nil and alg names the algorithm
// every key of r of which may have signed the token.
func (v *Verifier) header(ctx context.Context, r *keyRing, remote *remoteKeys, h64 string) (declared TokenType, k *key, alg string, err error) {
	for _, h := range r.known {
		if h.encoded == h64 {
			return h.typ, h.key, "", nil
		}
	}
	var hbuf [256]byte
	hdr, err := decodePart(hbuf[:0], h64)
	if err != nil {
		return 0, nil, "", err
	}
	algb, typ, kid, err := readHeader(hdr)
	if err != nil {
		return 0, nil, "", err
	}
	if declared, err = v.format.headerType(typ, kid != nil); err != nil {
		return 0, nil, "", err
	}
	if kid == nil {
		return declared, nil, string(algb), nil
	}
	if k, err = v.findKey(ctx, r, remote, kid); err == nil && k == nil {
		err = withDetail(ErrUnknownKey, "no key with that kid")
	}
	if err != nil {
		v.unknownKey(ctx, kid, err)
		return 0, nil, "", err
	}
	if k.alg != string(algb) {
		return 0, nil, "", withDetail(ErrSignature, `header "alg" `+quoteValue(string(algb))+" is not the algorithm configured for its key, "+k.alg)
	}
	return declared, k, "", nil
}

// knownHeader is an encoded header exactly as the Manager writes it, which
// names its key: such a header needs no decoding. learnHeaders ran it
// through header, which gives the same answer for the same bytes.
type knownHeader struct {
	encoded string
	typ     TokenType
	key     *key
}

// learnHeaders records in r the headers of the tokens r.signing signs.
// Only a header that header accepts, naming a key, becomes a shortcut, so
// the shortcut never changes an answer.
func (v *Verifier) learnHeaders(r *keyRing) {
	for _, t := range []TokenType{AccessToken, RefreshToken} {
		h64 := r.header(t)
		if r.knows(h64) {
			continue
		}
		declared, k, _, err := v.header(context.Background(), r, v.remote, h64)
		if err == nil && k != nil && (declared == t || declared == 0) {
			r.known = append(r.known, knownHeader{h64, declared, k})
		}
	}
}

func (r *keyRing) knows(h64 string) bool {
	for _, h := range r.known {
		if h.encoded == h64 {
			return true
		}
	}
	return false
}

// findKey returns the key of r with the given ID, or nil. A Verifier
// from NewVerifier then looks in remote, its JWK Set (or the set of the
// issuer the token names), which may fetch the set again: waiting for that
// ends with ctx, and the error then wraps ErrUnknownKey and ctx.Err().
// Before its set has come (StartWithoutKeys), the error wraps
// ErrKeysUnavailable instead.
func (v *Verifier) findKey(ctx context.Context, r *keyRing, remote *remoteKeys, kid []byte) (*key, error) {
	for _, k := range r.keys {
		if k.id == string(kid) {
			return k, nil
		}
	}
	if remote != nil {
		return remote.lookup(ctx, kid, v.now)
	}
	return nil, nil
}

// checkSignature verifies sig over input with k or, when the header named
// no key (the Flask format), with each key of r of algorithm alg in turn,
// the signing key first, then the newest. It returns the key that verified
// it.
func checkSignature(r *keyRing, k *key, alg string, input, sig []byte) (*key, error) {
	if k != nil {
		if !k.verify(input, sig) {
			return nil, withDetail(ErrSignature, "signature does not verify")
		}
		return k, nil
	}
	tried := false
	for _, k := range r.keys {
		if k.alg != alg {
			continue
		}
		if k.verify(input, sig) {
			return k, nil
		}
		tried = true
	}
	if !tried {
		return nil, withDetail(ErrSignature, `header "alg" `+quoteValue(alg)+" is not the algorithm of any configured key")
	}
	return nil, withDetail(ErrSignature, "signature does not verify")
}

// validate applies the rules that depend on the configuration and the
// clock, in the order Flask-JWT-Extended applies them, which freshtoken's
// own format shares: "iat" and "nbf", the issuer and audience, the
// subject, then "exp" (Flask decodes an expired token again without it, so
// the others are reported first), then the lifetime. A format whose header
// declares the type has it checked first; otherwise it is checked last.
func (v *Verifier) validate(c *Claims, want TokenType) error {
	s := v.schema
	if s.typedByHeader && c.Type != want {
		return wrongType(c.Type, want)
	}
	clock := v.now()
	now := clock
	if s.wholeSeconds {
		// PyJWT compares with the whole second and only then adds or
		// subtracts the leeway, which may have a fraction.
		now = now.Truncate(time.Second)
	}
	latest := now.Add(v.leeway)
	switch {
	case c.IssuedAt.After(latest):
		return v.inFuture("iat", c.IssuedAt, now)
	case c.NotBefore.After(latest):
		return v.inFuture("nbf", c.NotBefore, now)
	case v.issuer != "" && c.Issuer != v.issuer:
		return wrongIssuer(c.Issuer, v.issuer)
	case len(v.audience) > 0 && !sharesAny(c.Audience, v.audience):
		return wrongAudience(c.Audience, v.audience)
	case c.Subject == "":
		return withDetail(ErrInvalidClaims, "the identity claim "+strconv.Quote(s.identity)+" is missing")
	case !c.ExpiresAt.After(now.Add(-v.leeway)):
		return v.expired(c.ExpiresAt, now)
	}
	if err := v.checkLifetime(c); err != nil {
		return err
	}
	if !s.typedByHeader && c.Type != want {
		return wrongType(c.Type, want)
	}
	if c.freshTime {
		// Flask-JWT-Extended compares with datetime.timestamp(), which
		// divides whole microseconds by 10^6, as here; no leeway.
		c.Fresh = !(c.freshUntil < float64(clock.UnixMicro())/1e6)
	}
	return nil
}

func wrongType(got, want TokenType) error {
	return withDetail(ErrWrongType, "got "+got.String()+" token, want "+want.String())
}

// checkLifetime refuses a token that lives longer than its type's TTL, or
// whose login comes after its issue. A zero TTL (a Verifier from
// NewVerifier not told the issuer's) caps nothing.
func (v *Verifier) checkLifetime(c *Claims) error {
	ttl, setting := v.accessTTL, "Config.AccessTTL"
	if c.Type == RefreshToken {
		ttl, setting = v.refreshTTL, "Config.RefreshTTL"
	}
	switch {
	case !c.ExpiresAt.After(c.IssuedAt):
		return withDetail(ErrInvalidClaims, `"exp" `+timeValue(c.ExpiresAt)+` is not after "iat" `+timeValue(c.IssuedAt))
	case ttl > 0 && c.ExpiresAt.Sub(c.IssuedAt) > ttl:
		return withDetail(ErrInvalidClaims, `lifetime ("exp" − "iat") `+c.ExpiresAt.Sub(c.IssuedAt).String()+" exceeds "+setting+" "+ttl.String())
	case c.AuthTime.After(c.IssuedAt):
		return withDetail(ErrInvalidClaims, `"auth_time" `+timeValue(c.AuthTime)+` is after "iat" `+timeValue(c.IssuedAt))
	}
	return nil
}

// The error details below name the claim, the setting and both values.
// They are built only once a rule has failed, so a token that passes costs
// nothing for them; the values a token chooses are quoted and cut short
// (quoteValue), so that a hostile token can neither forge log lines nor
// fill the logs.

// inFuture is the error of a token whose claim (iat or nbf) is at t,
// beyond the leeway at now.
func (v *Verifier) inFuture(claim string, t, now time.Time) error {
	return withDetail(ErrNotYetValid, strconv.Quote(claim)+" "+timeValue(t)+" is in the future (now "+timeValue(now)+", leeway "+v.leeway.String()+")")
}

// expired is the error of a token whose "exp" is at exp, past the leeway at now.
func (v *Verifier) expired(exp, now time.Time) error {
	return withDetail(ErrExpired, `"exp" `+timeValue(exp)+" has passed (now "+timeValue(now)+", leeway "+v.leeway.String()+")")
}

func wrongIssuer(got, want string) error {
	if got == "" {
		return withDetail(ErrInvalidClaims, `"iss" is missing (or not a string) but Config.Issuer is `+quoteValue(want))
	}
	return withDetail(ErrInvalidClaims, `"iss" is `+quoteValue(got)+" but Config.Issuer is "+quoteValue(want))
}

func wrongAudience(got, want []string) error {
	configured := "Config.Audience is " + quoteValue(want[0])
	if len(want) > 1 {
		configured = "Config.Audience is " + quoteList(want)
	}
	switch {
	case len(got) == 0:
		return withDetail(ErrInvalidClaims, `"aud" is missing but `+configured)
	case len(want) == 1:
		return withDetail(ErrInvalidClaims, `"aud" `+quoteList(got)+" does not contain Config.Audience "+quoteValue(want[0]))
	}
	return withDetail(ErrInvalidClaims, `"aud" `+quoteList(got)+" names none of Config.Audience "+quoteList(want))
}

// timeValue writes t for an error: RFC 3339, with the fraction of a
// second only when there is one (never in a claim, often in the clock).
func timeValue(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// maxQuoted and maxListed bound what an error repeats of a token's values.
const (
	maxQuoted = 64
	maxListed = 4
)

// quoteValue quotes s, which a token may have chosen, for an error: Go
// syntax escapes control characters and invalid UTF-8, and a long value is
// cut at a character boundary after maxQuoted bytes, its length given.
func quoteValue(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// quoteList quotes the first maxListed strings of list, as fmt's %q does
// a []string: ["x" "y"].
func quoteList(list []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list[:min(len(list), maxListed)] {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteValue(s))
	}
	if len(list) > maxListed {
		b.WriteString(" … " + strconv.Itoa(len(list)) + " in all")
	}
	b.WriteByte(']')
	return b.String()
}

// sharesAny reports whether the token's audience names one of want.
func sharesAny(got, want []string) bool {
	for _, g := range got {
		for _, w := range want {
			if g == w {
				return true
			}
		}
	}
	return false
}

// checkRevoked asks the store about a token that passed every other check,
// and reports a refusal as an event: the token is genuine, so its subject
// and IDs are worth an operator's attention.
func (v *Verifier) checkRevoked(ctx context.Context, c *Claims) error {
	if c.Subject == "" || c.ID == "" || c.SessionID == "" {
		// The claims reader never lets such a token through; should one
		// slip by, it must not reach the store, where an empty ID would be
		// shared.
		return withDetail(ErrInvalidClaims, "the token lacks a subject, an ID or a session ID")
	}
	revoked, cut, err := v.store.Lookup(ctx, v.now(), c.Subject, c.ID, c.SessionID)
	switch {
	case err != nil:
		err = storeError(err)
		v.tokenEvent(ctx, EventStoreUnavailable, c, err)
		return err
	case revoked:
		err = withDetail(ErrRevoked, "the token or its session was revoked")
	case !cut.IsZero() && loginTime(c).Before(cut):
		err = withDetail(ErrRevoked, "the subject was logged out everywhere after this login")
	default:
		return nil
	}
	v.tokenEvent(ctx, EventRevokedToken, c, err)
	return err
}
