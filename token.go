package freshtoken

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// TokenType tells access tokens from refresh tokens.
type TokenType uint8

const (
	// AccessToken authorizes API calls. Header "typ": "at+jwt" (RFC 9068), claim "type": "access".
	AccessToken TokenType = iota + 1
	// RefreshToken only buys new access tokens. Header "typ": "refresh+jwt", claim "type": "refresh".
	RefreshToken
)

func (t TokenType) String() string {
	switch t {
	case AccessToken:
		return "access"
	case RefreshToken:
		return "refresh"
	}
	return "TokenType(" + strconv.Itoa(int(t)) + ")"
}

// Pair is what a login (Issue) or a refresh returns.
type Pair struct {
	Access  string
	Refresh string
	// IssuedAt is the access token's "iat": when the Manager made it, by
	// its clock, in whole seconds. AccessExpiresAt minus IssuedAt is the
	// access token's lifetime, an OAuth 2.0 token response's "expires_in".
	IssuedAt         time.Time
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	// AccessCSRF and RefreshCSRF are the tokens' "csrf" claims, the values
	// a browser client echoes for double-submit CSRF protection; empty
	// unless the login used WithCSRF.
	AccessCSRF, RefreshCSRF string
}

// Claims are the verified contents of a token.
type Claims struct {
	Type    TokenType
	Subject string // "sub": who the token is for
	ID      string // "jti": unique per token
	// SessionID ("sid") names the login session: the ID of the login's
	// refresh token, carried by every token of the session (refreshed access
	// tokens and rotated refresh tokens too). Logout revokes it. It is never
	// empty: under Flask, a token Flask-JWT-Extended wrote, which has no
	// "sid", is its own session, and this is its ID.
	SessionID string
	Issuer    string   // "iss", if any
	Audience  []string // "aud", if any

	IssuedAt  time.Time // "iat"
	NotBefore time.Time // "nbf", zero if absent
	ExpiresAt time.Time // "exp"
	// AuthTime ("auth_time") is when the user last actively logged in; Issue
	// sets it and Refresh carries it over.
	AuthTime time.Time
	// Fresh is the token's "fresh" claim: true only on access tokens made by
	// Issue. RequireFresh also applies Config.FreshFor. Under Flask, a
	// "fresh" claim that is a time counts as true until that time, judged
	// when the token is verified.
	Fresh bool
	// FreshUntil is, under Flask, the time a "fresh" claim that is a time
	// names (what fresh=timedelta writes); zero otherwise.
	FreshUntil time.Time

	// CSRF ("csrf") is the double-submit value bound into tokens issued
	// with WithCSRF, for cookie-based clients; empty otherwise.
	CSRF string

	// Extra holds the application's own claims (from WithClaims and, in an
	// access token, Config.ClaimsLoader), decoded as
	// encoding/json decodes into an interface value, except that a claim
	// holding a number beyond float64's range (which encoding/json refuses
	// and Python writes) has its numbers as json.Number. Nil when there are
	// none.
	Extra map[string]any

	// rawExtra is Extra as written in the token (`"k":v` members joined by
	// commas), so that Refresh copies the claims byte for byte.
	rawExtra string

	// Under Flask, an access token's "fresh" claim that is a time, in Unix
	// seconds as written: the guards judge it against the clock on every call.
	freshTime  bool
	freshUntil float64
}

// IssueOption customizes Issue.
type IssueOption func(*issueOptions) error

type issueOptions struct {
	extra []byte   // `"k":v` members joined by commas
	names []string // the claim names in extra
	csrf  bool
	// labels are the session's labels (WithSessionLabels), kept in the
	// session registry, never in a token.
	labels map[string]string
}

// reserved are the claims freshtoken owns; WithClaims cannot set them.
var reserved = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "auth_time", "type", "fresh", "csrf", "typ", "alg", "kid"}

// WithClaims adds application claims (roles, tenant, ...) to both tokens;
// Refresh copies them into every later access token. Each value must
// marshal to JSON. Issue fails with ErrInvalidConfig for a reserved claim
// name ("sub", "exp", "fresh", "type", ...), a name given twice (across
// several WithClaims, or also returned by Config.ClaimsLoader), a name
// JSON would escape (quotes, backslashes, control characters, <, >, &), a
// value the guards would refuse (a json.RawMessage with invalid UTF-8 or a
// lone surrogate such as "\ud800"), more claims than a token may hold
// (about 50), or claims that make a token larger than Config.MaxTokenSize.
//
// Claims that may change during a session (a role, a permission) belong
// in Config.ClaimsLoader instead, which Refresh asks again each time.
func WithClaims(claims map[string]any) IssueOption {
	return func(o *issueOptions) error { return o.addClaims(claims, "") }
}

// addClaims checks claims and appends them to o, in name order. from
// names where the claims come from in an error ("" for WithClaims).
func (o *issueOptions) addClaims(claims map[string]any, from string) error {
	names := make([]string, 0, len(claims))
	for name := range claims {
		switch {
		case name == "" || slices.Contains(reserved, name):
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim %q is reserved", from, name))
		case slices.Contains(o.names, name):
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim %q is given twice", from, name))
		case string(appendString(nil, name)) != `"`+name+`"`:
			// The guards refuse escaped member names, which could hide a
			// reserved name; an escaped name would make the token unusable.
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim name %q has characters JSON escapes", from, name))
		}
		names = append(names, name)
	}
	slices.Sort(names) // tokens are reproducible byte for byte
	for _, name := range names {
		v, err := json.Marshal(claims[name])
		if err != nil {
			return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim %q: %v", from, name, err))
		}
		if err := readableClaim(name, v, from); err != nil {
			return err
		}
		if len(o.extra) > 0 {
			o.extra = append(o.extra, ',')
		}
		o.extra = appendString(o.extra, name)
		o.extra = append(o.extra, ':')
		o.extra = append(o.extra, v...)
	}
	o.names = append(o.names, names...)
	return nil
}

// readableClaim runs an application claim, as Issue would write it,
// through the reader the guards use, so that Issue never writes a token its
// own guards refuse. json.Marshal passes a json.RawMessage through with
// invalid UTF-8 or an escaped lone surrogate ("\ud800") in it, both of
// which the guards refuse.
func readableClaim(name string, v []byte, from string) error {
	obj := make([]byte, 0, len(name)+len(v)+4)
	obj = append(obj, '{')
	obj = appendString(obj, name)
	obj = append(obj, ':')
	obj = append(obj, v...)
	obj = append(obj, '}')
	var o object[string]
	err := o.open(string(obj))
	if err == nil {
		var value string
		if _, value, _, err = o.next(); err == nil {
			err = addExtra(new(Claims), name, value)
		}
	}
	if err != nil {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim %q would make a token the guards refuse: %v", from, name, err))
	}
	return nil
}

// WithCSRF gives each token a random "csrf" claim, for clients that keep
// their tokens in cookies: the client must echo the value in a header on
// state-changing requests (double-submit). Refresh gives the new access token
// a new value when the refresh token has one.
func WithCSRF() IssueOption {
	return func(o *issueOptions) error {
		o.csrf = true
		return nil
	}
}

// Issue is the login: call it once the user's credentials are checked. It
// returns a fresh access token and a refresh token, both carrying the
// subject, the login time ("auth_time") and any WithClaims claims; the
// access token also carries the claims of Config.ClaimsLoader, called with
// ctx. An empty subject, or one that is not valid UTF-8, fails with
// ErrInvalidConfig, and so do claims that break the rules of WithClaims;
// the loader's errors are returned as Config.ClaimsLoader says.
//
// With a session registry (see SessionConfig; on by default when the store
// implements SessionStore) Issue records the session, with the labels of
// WithSessionLabels, and enforces Config.Sessions.MaxPerUser: over the cap
// it ends the subject's oldest sessions or, with RefuseOverCap, fails with
// ErrTooManySessions. A store failure then fails the login with
// ErrStoreUnavailable, as a login that nobody could see or end would be
// worse. Without a registry Issue does not consult the Store, so a login
// succeeds while the store is down. That opens no hole: every guard and
// Refresh asks the store, so the new tokens are refused with
// ErrStoreUnavailable until it answers again.
func (m *Manager) Issue(ctx context.Context, subject string, opts ...IssueOption) (*Pair, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	var o issueOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := m.notIdentity(o.names, ""); err != nil {
		return nil, err
	}
	loaded, err := m.loadClaims(ctx, subject)
	if err != nil {
		return nil, err
	}
	if err := checkOneSource(o.names, loaded.names); err != nil {
		return nil, err
	}
	login := m.now()
	access, refresh, err := m.loginPair(subject, login, &o, &loaded)
	if err != nil {
		return nil, err
	}
	pair, err := m.signPair(access, refresh)
	if err != nil {
		return nil, err
	}
	// Recorded once the tokens exist, and before anyone holds them, so
	// that no call can end the session before it is listed.
	if err := m.register(ctx, subject, login, refresh, o.labels); err != nil {
		return nil, m.report(ctx, Event{Subject: subject, SessionID: refresh.sessionID}, err)
	}
	m.report(ctx, Event{Kind: EventLogin, Subject: subject, SessionID: refresh.sessionID, TokenID: access.id}, nil)
	return pair, nil
}

func checkSubject(subject string) error {
	if subject == "" {
		return withDetail(ErrInvalidConfig, "the subject must not be empty")
	}
	if !utf8.ValidString(subject) {
		// JSON would write each bad byte as U+FFFD, giving different
		// subjects the same token identity.
		return withDetail(ErrInvalidConfig, "the subject is not valid UTF-8")
	}
	return nil
}

// notIdentity refuses application claims that would set the identity
// claim, which no reserved name covers when Flask renames it.
func (m *Manager) notIdentity(names []string, from string) error {
	if id := m.schema.identity; slices.Contains(names, id) {
		return withDetail(ErrInvalidConfig, fmt.Sprintf("%sclaim %q is the identity claim", from, id))
	}
	return nil
}

// loginPair returns the fields of the tokens of a login at instant login:
// both with the login's own claims o, the access token with loaded too.
func (m *Manager) loginPair(subject string, login time.Time, o, loaded *issueOptions) (access, refresh *tokenFields, err error) {
	now := login.Truncate(time.Second)
	perLogin := string(o.extra)
	access = &tokenFields{
		typ: AccessToken, subject: subject, issuedAt: now, expiresAt: now.Add(m.accessTTL),
		authTime: now, login: login, fresh: true,
		extra: joinExtra(perLogin, loaded.extra), nExtra: len(o.names) + len(loaded.names),
	}
	refresh = &tokenFields{
		typ: RefreshToken, subject: subject, issuedAt: now, expiresAt: now.Add(m.refreshTTL),
		authTime: now, extra: perLogin, nExtra: len(o.names),
	}
	random, err := newRandomID()
	if err != nil {
		return nil, nil, err
	}
	// The session is named by a random ID and the login time, and every
	// token of the login carries it (see sessionID).
	access.sessionID = sessionID(random, login)
	refresh.sessionID = access.sessionID
	if refresh.id, err = m.format.refreshID(refresh.sessionID); err != nil {
		return nil, nil, err
	}
	if err := m.newIDs(access, o.csrf); err != nil {
		return nil, nil, err
	}
	if err := m.newCSRF(refresh, o.csrf); err != nil {
		return nil, nil, err
	}
	return access, refresh, nil
}

// newIDs gives f a new token ID and, with csrf, a new CSRF value.
func (m *Manager) newIDs(f *tokenFields, csrf bool) (err error) {
	if f.id, err = m.format.newID(); err != nil {
		return err
	}
	return m.newCSRF(f, csrf)
}

// newCSRF gives f a new CSRF value when csrf is set.
func (m *Manager) newCSRF(f *tokenFields, csrf bool) (err error) {
	if csrf {
		f.csrf, err = m.format.newID()
	}
	return err
}

func (m *Manager) signPair(access, refresh *tokenFields) (*Pair, error) {
	at, rt, err := m.signTokens(access, refresh)
	if err != nil {
		return nil, err
	}
	return &Pair{
		Access: at, Refresh: rt, IssuedAt: access.issuedAt, AccessExpiresAt: access.expiresAt, RefreshExpiresAt: refresh.expiresAt,
		AccessCSRF: access.csrf, RefreshCSRF: refresh.csrf,
	}, nil
}
