package httpauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/freshtoken/freshtoken"
	"github.com/google/go-cmp/cmp"
)

// headerRequest is a Request that is not net/http's, as fiberauth's is:
// headers by canonical name, and an *http.Request only on demand.
type headerRequest struct {
	method     string
	header     http.Header
	converted  int // calls of HTTPRequest
	convertErr error
}

func (r *headerRequest) Context() context.Context    { return context.Background() }
func (r *headerRequest) Method() string              { return r.method }
func (r *headerRequest) Header(name string) []string { return r.header[name] }
func (r *headerRequest) HTTPRequest() (*http.Request, error) {
	r.converted++
	if r.convertErr != nil {
		return nil, r.convertErr
	}
	hr := httptest.NewRequest(r.method, "/?access_token=none", nil)
	hr.Header = r.header
	return hr, nil
}

// outcome is what a test checks of Authenticate's results.
type outcome struct {
	Subject string
	Token   bool // the token came back
	Source  string
	Err     error
}

func outcomeOf(c *freshtoken.Claims, tok string, src Source, err error) outcome {
	o := outcome{Token: tok != "", Source: src.String(), Err: err}
	if c != nil {
		o.Subject = c.Subject
	}
	return o
}

// TestAuthenticateRequest checks that a Request read through its headers
// gets the answers an *http.Request with the same headers gets, and that
// the conversion to an *http.Request is paid only for a FromFunc Source.
func TestAuthenticateRequest(t *testing.T) {
	m, _ := newTestManager(t, freshtoken.Config{})
	p := mustIssue(t, m, "user-1", freshtoken.WithCSRF())
	query := FromFunc("query", noToken)
	mw := newWebMiddleware(t, m, Config{Sources: []Source{FromHeader, FromCookie, query}, PassPreflight: true})
	ck := "access_token_cookie=" + p.Access
	errSome := errors.New("some error")
	tests := []struct {
		name    string
		method  string
		header  http.Header
		rule    Rule
		want    outcome
		convert int
		reason  string
	}{
		{"bearer", "GET", bearer(p.Access), RuleAccess, outcome{"user-1", true, "header", nil}, 0, "the header is read without a conversion"},
		{"cookie", "GET", http.Header{"Cookie": {"a=b; " + ck}}, RuleFresh, outcome{"user-1", true, "cookie", nil}, 0, "net/http parses the Cookie header"},
		{"cookie, two lines", "GET", http.Header{"Cookie": {"a=b", ck}}, RuleAccess, outcome{"user-1", true, "cookie", nil}, 0, "every Cookie line is read"},
		{"two cookies", "GET", http.Header{"Cookie": {ck, ck}}, RuleAccess, outcome{Source: "none", Err: freshtoken.ErrMalformed}, 0, "a tossed cookie beside the real one"},
		{"cookie, POST without CSRF", "POST", http.Header{"Cookie": {ck}}, RuleAccess, outcome{Source: "none", Err: ErrCSRF}, 0, "double submit"},
		{"cookie, POST with CSRF", "POST", http.Header{"Cookie": {ck}, "X-Csrf-Token": {p.AccessCSRF}}, RuleAccess, outcome{"user-1", true, "cookie", nil}, 0, "the CSRF header by its canonical name"},
		{"no token", "GET", http.Header{}, RuleAccess, outcome{Source: "none", Err: ErrNoToken}, 1, "the FromFunc Source needed the conversion"},
		{"no token, optional", "GET", http.Header{}, RuleOptionalAccess, outcome{Source: "none"}, 1, "anonymous"},
		{"preflight", "OPTIONS", http.Header{"Access-Control-Request-Method": {"POST"}}, RuleAccess, outcome{Source: "none"}, 0, "PassPreflight"},
		{"refresh rule", "GET", http.Header{"Cookie": {"refresh_token_cookie=" + p.Refresh}}, RuleRefresh, outcome{"user-1", true, "cookie", nil}, 0, "the refresh cookie for RuleRefresh"},
		{"login within", "GET", bearer(p.Access), RuleLoginWithin(time.Minute), outcome{"user-1", true, "header", nil}, 0, ""},
	}
	for _, tt := range tests {
		r := &headerRequest{method: tt.method, header: tt.header}
		got := outcomeOf(mw.AuthenticateRequest(r, tt.rule))
		hr := httptest.NewRequest(tt.method, "/", nil)
		hr.Header = tt.header
		ref := outcomeOf(mw.Authenticate(hr, tt.rule))
		opt := cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || errors.Is(b, a) })
		if diff := cmp.Diff(tt.want, got, opt); diff != "" {
			t.Errorf("%s: got %+v, want %+v (%s) (-want +got):\n%s", tt.name, got, tt.want, tt.reason, diff)
		}
		if diff := cmp.Diff(ref, got, cmp.Comparer(func(a, b error) bool { return a == nil && b == nil || a != nil && b != nil && a.Error() == b.Error() })); diff != "" {
			t.Errorf("%s: AuthenticateRequest differs from Authenticate (-Authenticate +AuthenticateRequest):\n%s", tt.name, diff)
		}
		if r.converted != tt.convert {
			t.Errorf("%s: %d conversions, want %d (%s)", tt.name, r.converted, tt.convert, tt.reason)
		}
	}

	r := &headerRequest{method: "GET", header: http.Header{}, convertErr: errSome}
	if _, _, _, err := mw.AuthenticateRequest(r, RuleOptionalAccess); !errors.Is(err, errSome) {
		t.Errorf("a failed conversion: got %v, want the error, refusing even under RuleOptionalAccess", err)
	}
}

// TestRule checks the zero Rule and RuleLoginWithin's panic.
func TestRule(t *testing.T) {
	if (Rule{}) != RuleAccess {
		t.Error("the zero Rule is not RuleAccess, as its doc says")
	}
	if RuleLoginWithin(time.Minute) != RuleLoginWithin(time.Minute) || RuleLoginWithin(time.Minute) == RuleLoginWithin(time.Hour) {
		t.Error("Rules do not compare by their check")
	}
	defer func() {
		if recover() == nil {
			t.Error("RuleLoginWithin(0) did not panic")
		}
	}()
	RuleLoginWithin(0)
}
